using GpuCnn.Kernels.Ops;
using ILGPU;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's inverted dropout.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void DropoutForwardCore(
        DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed) =>
        Launch(DropoutIlgpuKernels.Forward, count, View(x), View(mask), View(y),
            new DropoutSizes(p, 1f / (1f - p), seed));

    /// <inheritdoc />
    protected override void DropoutBackwardCore(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        Launch(DropoutIlgpuKernels.Backward, count, View(mask), View(dy), View(dx));
}

/// <summary>The drop probability, the kept values' scale 1/(1-P) (computed on the host) and the seed.</summary>
internal readonly record struct DropoutSizes(float P, float Scale, ulong Seed);

/// <summary>Inverted dropout, one thread per element, drawing from <see cref="CounterRandom"/> itself: the mask is
/// the CPU's and the OpenCL backend's, bit for bit, for the same seed.</summary>
internal static class DropoutIlgpuKernels
{
    // mask[i] = 0 with probability p, else scale; y = x * mask.
    public static void Forward(Index1D i, ArrayView<float> x, ArrayView<float> mask, ArrayView<float> y,
        DropoutSizes s)
    {
        var keep = CounterRandom.Uniform(s.Seed, (uint)i.X) >= s.P ? s.Scale : 0f;
        mask[i] = keep;
        y[i] = x[i] * keep;
    }

    // dx += dy * mask
    public static void Backward(Index1D i, ArrayView<float> mask, ArrayView<float> dy, ArrayView<float> dx) =>
        dx[i] += mask[i] * dy[i];
}
