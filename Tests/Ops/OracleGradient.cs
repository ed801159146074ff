using GpuCnn.Tests.Reference;

namespace GpuCnn.Tests.Ops;

/// <summary>
/// The oracle checks itself: its backward functions against central differences of its own forward, in double
/// precision where a step of 1e-5 leaves errors far below the tolerance. The kernel checks then compare each
/// accelerator with a reference whose gradients are known to be derivatives.
/// </summary>
internal static class OracleGradient
{
    public const double Step = 1e-5;
    public const double Atol = 1e-8;
    public const double Rtol = 1e-6;

    public static void Check(double[] analytic, double[] numeric, string what) =>
        TensorAssert.Close(numeric, analytic, Atol, Rtol, $"reference {what} against central differences");
}
