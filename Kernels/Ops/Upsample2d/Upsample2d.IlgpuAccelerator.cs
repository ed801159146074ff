using GpuCnn.Kernels.Ops;
using ILGPU;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's nearest-neighbour upsampling.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void Upsample2dForwardCore(in Upsample2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        Launch(Upsample2dIlgpuKernels.Forward, g.OutputLength, View(x), View(y), new Upsample2dSizes(g));

    /// <inheritdoc />
    protected override void Upsample2dBackwardCore(in Upsample2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        Launch(Upsample2dIlgpuKernels.Backward, g.InputLength, View(dy), View(dx), new Upsample2dSizes(g));
}

/// <summary>An <see cref="Upsample2dGeometry"/> as a kernel argument.</summary>
internal readonly struct Upsample2dSizes(in Upsample2dGeometry g)
{
    public readonly int H = g.H, W = g.W, ScaleH = g.ScaleH, ScaleW = g.ScaleW;
    public readonly int Outputs = g.OutputLength, Inputs = g.InputLength;
}

/// <summary>Nearest-neighbour upsampling by integer factors, as Upsample2d.cl. x:(N,C,H,W) y:(N,C,H*sh,W*sw).
/// Forward: one thread per output pixel. Backward: one thread per input pixel, summing its sh x sw block of dy row
/// by row (the CPU's order, so both round alike) into a running value started from dx: no atomics.</summary>
internal static class Upsample2dIlgpuKernels
{
    public static void Forward(Index1D index, ArrayView<float> x, ArrayView<float> y, Upsample2dSizes s)
    {
        int o = index;
        if (o >= s.Outputs)
        {
            return;
        }

        int outH = s.H * s.ScaleH, outW = s.W * s.ScaleW;
        int plane = o / (outH * outW), oh = o / outW % outH, ow = o % outW;
        y[o] = x[(plane * s.H + oh / s.ScaleH) * s.W + ow / s.ScaleW];
    }

    public static void Backward(Index1D index, ArrayView<float> dy, ArrayView<float> dx, Upsample2dSizes s)
    {
        int i = index;
        if (i >= s.Inputs)
        {
            return;
        }

        var outW = s.W * s.ScaleW;
        int plane = i / (s.H * s.W), h = i / s.W % s.H, w = i % s.W;
        var block = (plane * s.H + h) * s.ScaleH * outW + w * s.ScaleW;
        var sum = 0f;
        for (var r = 0; r < s.ScaleH; r++)
        {
            for (var c = 0; c < s.ScaleW; c++)
            {
                sum += dy[block + r * outW + c];
            }
        }

        dx[i] += sum;
    }
}
