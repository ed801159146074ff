using GpuCnn.Kernels;
using GpuCnn.Tests.Reference;

namespace GpuCnn.Tests.Ops;

/// <summary>
/// Steps and tolerances of the kernel gradient checks, in float. Linear ops use a large step (their differences are
/// exact but for rounding); smooth ones a step of 1e-2, where the truncation error is still well inside the
/// tolerance. Inputs of max pooling and ReLU keep clear of their kinks.
/// </summary>
internal static class KernelGradient
{
    public const float LinearStep = 1f / 32;
    public const float SmoothStep = 1e-2f;
    public const double Atol = 1e-4;
    public const double Rtol = 1e-3;

    public static void Check(double[] numeric, DeviceBuffer analytic, string what) =>
        TensorAssert.Close(numeric, analytic.ToArray(), Atol, Rtol, $"{what} against central differences");
}
