using System.Numerics.Tensors;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // The checked entry points of 2-d padding and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>y = x padded as the geometry's mode says. x:(N,C,H,W) y:(N,C,OutH,OutW).</summary>
        public void Pad2dForward(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y)
        {
            g.Validate();
            CheckRange(x, 0, g.InputLength, nameof(x));
            CheckRange(y, 0, g.OutputLength, nameof(y));
            Pad2dForwardCore(g, x, y);
        }

        /// <summary>dx += the sum of dy over every output position that reads each input pixel (constant and zero
        /// borders read none).</summary>
        public void Pad2dBackward(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx)
        {
            g.Validate();
            CheckRange(dy, 0, g.OutputLength, nameof(dy));
            CheckRange(dx, 0, g.InputLength, nameof(dx));
            Pad2dBackwardCore(g, dy, dx);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void Pad2dForwardCore(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y);
        protected abstract void Pad2dBackwardCore(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx);
#pragma warning restore CS1591
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's 2-d padding.
    public sealed unsafe partial class CpuAccelerator
    {
        private Pad2dCpu? pad;

        // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
        private Pad2dCpu PadKernel => pad ??= new Pad2dCpu(workers);

        /// <inheritdoc />
        protected override void Pad2dForwardCore(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
            PadKernel.Forward(g, Ptr(x), Ptr(y));

        /// <inheritdoc />
        protected override void Pad2dBackwardCore(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
            PadKernel.Backward(g, Ptr(dy), Ptr(dx));
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>
    /// What a padded border holds (seed 002). With the input row a b c d and two pixels of padding on the left:
    /// <c>Zeros</c> 0 0 | a b c d, <c>Constant</c> v v | a b c d, <c>Replicate</c> a a | a b c d,
    /// <c>Reflect</c> c b | a b c d (the edge is not repeated), <c>Symmetric</c> b a | a b c d (the edge is
    /// repeated; numpy's "symmetric"), <c>Circular</c> c d | a b c d (wraps around).
    /// </summary>
    public enum PaddingMode
    {
        /// <summary>Zeros.</summary>
        Zeros,

        /// <summary>A constant value.</summary>
        Constant,

        /// <summary>The edge pixel repeated.</summary>
        Replicate,

        /// <summary>Mirrored about the edge pixel, which is not repeated (needs padding below the size).</summary>
        Reflect,

        /// <summary>Mirrored with the edge pixel repeated (needs padding at most the size).</summary>
        Symmetric,

        /// <summary>Wrapped around from the opposite side (needs padding at most the size).</summary>
        Circular,
    }

    /// <summary>
    /// Explicit 2-D padding of x:(N,C,H,W) into y:(N,C,H+Top+Bottom,W+Left+Right) filled as <see cref="Mode"/> says;
    /// <see cref="Value"/> is the fill of <see cref="PaddingMode.Constant"/>.
    /// </summary>
    public readonly record struct Pad2dGeometry(
        int N, int C, int H, int W, int Top, int Left, int Bottom, int Right, PaddingMode Mode, float Value = 0f)
    {
        /// <summary>Output height.</summary>
        public int OutH => H + Top + Bottom;

        /// <summary>Output width.</summary>
        public int OutW => W + Left + Right;

        /// <summary>Elements of x.</summary>
        public int InputLength => N * C * H * W;

        /// <summary>Elements of y.</summary>
        public int OutputLength => N * C * OutH * OutW;

        /// <summary>Throws <see cref="ArgumentException"/> naming what is wrong.</summary>
        public void Validate()
        {
            if (N < 1 || C < 1 || H < 1 || W < 1)
            {
                throw new ArgumentException($"Pad2d sizes must be positive: {this}.");
            }

            if (Top < 0 || Left < 0 || Bottom < 0 || Right < 0)
            {
                throw new ArgumentException($"Pad2d amounts must not be negative: {this}.");
            }

            var (limitH, limitW, rule) = Mode switch
            {
                PaddingMode.Reflect => (H - 1, W - 1, "below the input size"),
                PaddingMode.Symmetric or PaddingMode.Circular => (H, W, "at most the input size"),
                _ => (int.MaxValue, int.MaxValue, ""),
            };
            if (Math.Max(Top, Bottom) > limitH || Math.Max(Left, Right) > limitW)
            {
                throw new ArgumentException($"{Mode} padding of ({Top}, {Left}, {Bottom}, {Right}) on a {H}x{W} " +
                    $"input: each amount must be {rule}.");
            }
        }
    }

    /// <summary>
    /// Explicit padding on the CPU, a block of (n, c) planes per work item. Each output row either reads one input row
    /// (its interior a straight span copy, its borders mapped pixel by pixel) or lies in a constant band. Backward is
    /// the same walk with the arrows reversed: a work item owns whole planes of dx, so the scatter cannot race, and it
    /// visits the output in raster order, the order in which the OpenCL gather sums, so both round alike.
    /// </summary>
    internal sealed unsafe class Pad2dCpu(CpuWorkers workers)
    {
        private readonly PlaneJob<Pad2dGeometry> planes = new(workers);

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
        public void Forward(in Pad2dGeometry g, float* input, float* output) =>
            planes.Launch(&ForwardPlane, g, g.N * g.C, input, (long)g.H * g.W, output, (long)g.OutH * g.OutW,
                g.OutH * g.OutW);

        // dy:(N,C,OutH,OutW) dx:(N,C,H,W) +=
        public void Backward(in Pad2dGeometry g, float* dOutput, float* dInput) =>
            planes.Launch(&BackwardPlane, g, g.N * g.C, dOutput, (long)g.OutH * g.OutW, dInput, (long)g.H * g.W,
                g.OutH * g.OutW);

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
    }
}
