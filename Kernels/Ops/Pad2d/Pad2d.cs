using System.Numerics.Tensors;
using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Kernels.Ops;

/// <summary>
/// Explicit padding on the CPU, a block of (n, c) planes per work item. Each output row either reads one input row
/// (its interior a straight span copy, its borders mapped pixel by pixel) or lies in a constant band. Backward is
/// the same walk with the arrows reversed: a work item owns whole planes of dx, so the scatter cannot race, and it
/// visits the output in raster order, the order in which the OpenCL gather sums, so both round alike.
/// </summary>
internal sealed unsafe class Pad2dCpu : IParallelJob
{
    // About this many output elements per work item: fewer and waking a worker costs more than it saves.
    private const int ElementsPerItem = 1 << 14;
    private readonly CpuWorkers workers;
    private Pad2dGeometry g;
    private bool backward;
    private int planesPerItem;
    private float* x;
    private float* y;

    public Pad2dCpu(CpuWorkers workers) => this.workers = workers;

    /// <summary>
    /// The input index that output index <paramref name="j"/> (counted from the first interior position, so that
    /// a border before the input has j &lt; 0) reads along an axis of <paramref name="n"/> pixels, or -1 where the
    /// border holds the constant. The geometry's limits keep every mirrored or wrapped index inside the input.
    /// </summary>
    public static int Source(int j, int n, PaddingMode mode)
    {
        if ((uint)j < (uint)n)
        {
            return j;
        }

        var before = j < 0;
        return mode switch
        {
            PaddingMode.Replicate => before ? 0 : n - 1,
            PaddingMode.Reflect => before ? -j : 2 * (n - 1) - j,
            PaddingMode.Symmetric => before ? -j - 1 : 2 * n - 1 - j,
            PaddingMode.Circular => before ? j + n : j - n,
            _ => -1,
        };
    }

    // x:(N,C,H,W) y:(N,C,OutH,OutW)
    public void Forward(in Pad2dGeometry geometry, float* input, float* output) =>
        Launch(geometry, input, output, false);

    // dy:(N,C,OutH,OutW) dx:(N,C,H,W) +=
    public void Backward(in Pad2dGeometry geometry, float* dOutput, float* dInput) =>
        Launch(geometry, dInput, dOutput, true);

    public void Run(int index, int worker)
    {
        var planes = g.N * g.C;
        for (int plane = index * planesPerItem, end = Math.Min(planes, plane + planesPerItem); plane < end; plane++)
        {
            long inPlane = (long)plane * g.H * g.W, outPlane = (long)plane * g.OutH * g.OutW;
            if (backward)
            {
                BackwardPlane(g, y + outPlane, x + inPlane);
            }
            else
            {
                ForwardPlane(g, x + inPlane, y + outPlane);
            }
        }
    }

    private static void ForwardPlane(Pad2dGeometry g, float* x, float* y)
    {
        int H = g.H, W = g.W, outW = g.OutW, left = g.Left;
        var mode = g.Mode;
        var fill = mode == PaddingMode.Constant ? g.Value : 0f;
        for (var oh = 0; oh < g.OutH; oh++)
        {
            var output = y + (long)oh * outW;
            var h = Source(oh - g.Top, H, mode);
            if (h < 0)
            {
                new Span<float>(output, outW).Fill(fill);
                continue;
            }

            var input = x + (long)h * W;
            for (var ow = 0; ow < left; ow++)
            {
                var w = Source(ow - left, W, mode);
                output[ow] = w < 0 ? fill : input[w];
            }

            new ReadOnlySpan<float>(input, W).CopyTo(new Span<float>(output + left, W));
            for (var ow = left + W; ow < outW; ow++)
            {
                var w = Source(ow - left, W, mode);
                output[ow] = w < 0 ? fill : input[w];
            }
        }
    }

    // Raster order over dy: the left border, the interior row, then the right border of each row in turn.
    private static void BackwardPlane(Pad2dGeometry g, float* dy, float* dx)
    {
        int H = g.H, W = g.W, outW = g.OutW, left = g.Left;
        var mode = g.Mode;
        for (var oh = 0; oh < g.OutH; oh++)
        {
            var h = Source(oh - g.Top, H, mode);
            if (h < 0)
            {
                continue;
            }

            var grad = dy + (long)oh * outW;
            var target = dx + (long)h * W;
            for (var ow = 0; ow < left; ow++)
            {
                var w = Source(ow - left, W, mode);
                if (w >= 0)
                {
                    target[w] += grad[ow];
                }
            }

            var row = new Span<float>(target, W);
            TensorPrimitives.Add(row, new ReadOnlySpan<float>(grad + left, W), row);
            for (var ow = left + W; ow < outW; ow++)
            {
                var w = Source(ow - left, W, mode);
                if (w >= 0)
                {
                    target[w] += grad[ow];
                }
            }
        }
    }

    private void Launch(in Pad2dGeometry geometry, float* input, float* output, bool isBackward)
    {
        g = geometry;
        x = input;
        y = output;
        backward = isBackward;
        var planes = g.N * g.C;
        planesPerItem = Math.Clamp(ElementsPerItem / Math.Max(1, g.OutH * g.OutW), 1, planes);
        workers.Run(this, (planes + planesPerItem - 1) / planesPerItem);
    }
}
