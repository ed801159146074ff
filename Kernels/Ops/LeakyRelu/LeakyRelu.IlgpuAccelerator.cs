using ILGPU;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's leaky ReLU.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void LeakyReluForwardCore(DeviceBuffer x, DeviceBuffer y, int count, float negativeSlope) =>
        Launch(LeakyReluIlgpuKernels.Forward, count, View(x), View(y), negativeSlope);

    /// <inheritdoc />
    protected override void LeakyReluBackwardCore(
        DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, int count, float negativeSlope) =>
        Launch(LeakyReluIlgpuKernels.Backward, count, View(x), View(dy), View(dx), negativeSlope);
}

/// <summary>y = x where x &gt; 0, else slope * x; dx += dy where x &gt; 0, else slope * dy (PyTorch's test x &gt; 0,
/// so x = 0 takes the slope). One thread per element.</summary>
internal static class LeakyReluIlgpuKernels
{
    public static void Forward(Index1D i, ArrayView<float> x, ArrayView<float> y, float slope)
    {
        var v = x[i];
        y[i] = v > 0f ? v : v * slope;
    }

    public static void Backward(Index1D i, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx, float slope)
    {
        var g = dy[i];
        dx[i] += x[i] > 0f ? g : g * slope;
    }
}
