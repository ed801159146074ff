using System.Runtime.Intrinsics;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // The checked entry points of nearest-neighbour 2-d upsampling and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>y[oh, ow] = x[oh / ScaleH, ow / ScaleW]. x:(N,C,H,W) y:(N,C,H*ScaleH,W*ScaleW).</summary>
        public void Upsample2dForward(in Upsample2dGeometry g, DeviceBuffer x, DeviceBuffer y)
        {
            g.Validate();
            CheckRange(x, 0, g.InputLength, nameof(x));
            CheckRange(y, 0, g.OutputLength, nameof(y));
            Upsample2dForwardCore(g, x, y);
        }

        /// <summary>dx += the sum of dy over each input pixel's ScaleH x ScaleW block.</summary>
        public void Upsample2dBackward(in Upsample2dGeometry g, DeviceBuffer dy, DeviceBuffer dx)
        {
            g.Validate();
            CheckRange(dy, 0, g.OutputLength, nameof(dy));
            CheckRange(dx, 0, g.InputLength, nameof(dx));
            Upsample2dBackwardCore(g, dy, dx);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void Upsample2dForwardCore(in Upsample2dGeometry g, DeviceBuffer x, DeviceBuffer y);
        protected abstract void Upsample2dBackwardCore(in Upsample2dGeometry g, DeviceBuffer dy, DeviceBuffer dx);
#pragma warning restore CS1591
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's nearest-neighbour 2-d upsampling.
    public sealed unsafe partial class CpuAccelerator
    {
        private Upsample2dCpu? upsample;

        // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
        private Upsample2dCpu UpsampleKernel => upsample ??= new Upsample2dCpu(workers);

        /// <inheritdoc />
        protected override void Upsample2dForwardCore(in Upsample2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
            UpsampleKernel.Forward(g, Ptr(x), Ptr(y));

        /// <inheritdoc />
        protected override void Upsample2dBackwardCore(in Upsample2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
            UpsampleKernel.Backward(g, Ptr(dy), Ptr(dx));
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>
    /// Shape of a nearest-neighbour 2-D upsampling by integer factors in NCHW layout: x:(N,C,H,W)
    /// y:(N,C,H*ScaleH,W*ScaleW). Output pixel (oh, ow) reads input pixel (oh / ScaleH, ow / ScaleW), PyTorch's
    /// floor(dst * in / out) for an integer scale.
    /// </summary>
    public readonly record struct Upsample2dGeometry(int N, int C, int H, int W, int ScaleH, int ScaleW)
    {
        /// <summary>Output height.</summary>
        public int OutH => H * ScaleH;

        /// <summary>Output width.</summary>
        public int OutW => W * ScaleW;

        /// <summary>Elements of x.</summary>
        public int InputLength => N * C * H * W;

        /// <summary>Elements of y.</summary>
        public int OutputLength => N * C * OutH * OutW;

        /// <summary>Throws <see cref="ArgumentException"/> naming the bad field when the geometry is not valid.
        /// </summary>
        public void Validate()
        {
            if (N < 1 || C < 1 || H < 1 || W < 1)
            {
                throw new ArgumentException($"Upsample2d sizes must be positive: {this}.");
            }

            if (ScaleH < 1 || ScaleW < 1)
            {
                throw new ArgumentException($"Upsample2d scale factors must be positive integers: {this}.");
            }

            if ((long)N * C * H * ScaleH * W * ScaleW > int.MaxValue)
            {
                throw new ArgumentException($"Upsample2d output would exceed {int.MaxValue} elements: {this}.");
            }
        }
    }

    /// <summary>
    /// Nearest-neighbour upsampling on the CPU, a block of (n, c) planes per work item. Forward widens each input row
    /// once into its first output row (eight pixels to sixteen by a vector shuffle at the common scale 2) and copies
    /// that row to the ScaleH - 1 rows below it. Backward owns whole planes of dx, so its sums cannot race, and adds
    /// each block row by row, the order of the OpenCL kernel, so both round alike.
    /// </summary>
    internal sealed unsafe class Upsample2dCpu(CpuWorkers workers)
    {
        private readonly PlaneJob<Upsample2dGeometry> planes = new(workers);

        // x:(N,C,H,W) y:(N,C,H*ScaleH,W*ScaleW)
        public void Forward(in Upsample2dGeometry g, float* input, float* output) =>
            planes.Launch(&ForwardPlane, g, g.N * g.C, input, (long)g.H * g.W, output, (long)g.OutH * g.OutW,
                g.OutH * g.OutW);

        // dy:(N,C,H*ScaleH,W*ScaleW) dx:(N,C,H,W) +=
        public void Backward(in Upsample2dGeometry g, float* dOutput, float* dInput) =>
            planes.Launch(&BackwardPlane, g, g.N * g.C, dOutput, (long)g.OutH * g.OutW, dInput, (long)g.H * g.W,
                g.OutH * g.OutW);

        private static void ForwardPlane(Upsample2dGeometry g, float* x, float* y)
        {
            int W = g.W, sh = g.ScaleH, sw = g.ScaleW, outW = g.OutW;
            for (var h = 0; h < g.H; h++)
            {
                var input = x + (long)h * W;
                var first = y + (long)h * sh * outW;
                var w = 0;
                if (sw == 1)
                {
                    new ReadOnlySpan<float>(input, W).CopyTo(new Span<float>(first, outW));
                    w = W;
                }
                else if (sw == 2 && Vector256.IsHardwareAccelerated)
                {
                    var low = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
                    var high = Vector256.Create(4, 4, 5, 5, 6, 6, 7, 7);
                    for (; w + 8 <= W; w += 8)
                    {
                        var v = Vector256.Load(input + w);
                        Vector256.Shuffle(v, low).Store(first + 2 * w);
                        Vector256.Shuffle(v, high).Store(first + 2 * w + 8);
                    }
                }

                for (; w < W; w++)
                {
                    var value = input[w];
                    for (var s = 0; s < sw; s++)
                    {
                        first[w * sw + s] = value;
                    }
                }

                var row = new ReadOnlySpan<float>(first, outW);
                for (var r = 1; r < sh; r++)
                {
                    row.CopyTo(new Span<float>(first + (long)r * outW, outW));
                }
            }
        }

        private static void BackwardPlane(Upsample2dGeometry g, float* dy, float* dx)
        {
            int W = g.W, sh = g.ScaleH, sw = g.ScaleW, outW = g.OutW;
            for (var h = 0; h < g.H; h++)
            {
                var top = dy + (long)h * sh * outW;
                var output = dx + (long)h * W;
                for (var w = 0; w < W; w++)
                {
                    var block = top + w * sw;
                    var sum = 0f;
                    for (var r = 0; r < sh; r++)
                    {
                        for (var s = 0; s < sw; s++)
                        {
                            sum += block[r * outW + s];
                        }
                    }

                    output[w] += sum;
                }
            }
        }
    }
}
