using GpuCnn.Kernels;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Ops;

/// <summary>
/// Steps and tolerances of the kernel gradient checks, in float. Linear ops use a large step (their differences are
/// exact but for rounding); smooth ones a step of 1e-2, where the truncation error is still well inside the
/// tolerance. Inputs of max pooling and ReLU keep clear of their kinks. On ILGPU's CPU accelerator a tensor's check
/// probes a fixed sample of its elements (<see cref="FiniteDifferences.Probes"/>).
/// </summary>
internal static class KernelGradient
{
    public const float LinearStep = 1f / 32;
    public const float SmoothStep = 1e-2f;
    public const double Atol = 1e-4;
    public const double Rtol = 1e-3;

    /// <summary>Compares the elements that central differences probed (the others are NaN, see
    /// <see cref="FiniteDifferences.Probes"/>); at least one must have been.</summary>
    public static void Check(double[] numeric, DeviceBuffer analytic, string what)
    {
        var all = analytic.ToArray();
        Assert.Equal(numeric.Length, all.Length);
        var probed = Enumerable.Range(0, numeric.Length).Where(i => !double.IsNaN(numeric[i])).ToArray();
        Assert.True(probed.Length > 0 || numeric.Length == 0, $"{what}: no element was probed");
        TensorAssert.Close(probed.Select(i => numeric[i]).ToArray(), probed.Select(i => all[i]).ToArray(), Atol, Rtol,
            $"{what} against central differences (elements {(probed.Length == all.Length ? "all" :
                string.Join(",", probed))})");
    }
}
