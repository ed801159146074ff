using GpuCnn.Kernels.Ops;
using ILGPU;

namespace GpuCnn.Kernels.Ilgpu
{
    // The ILGPU backend's max and average 2-d pooling (Pool2dIlgpuKernels): forward one thread per output, backward one
    // per input pixel.
    public sealed partial class IlgpuAccelerator
    {
        /// <inheritdoc />
        protected override void MaxPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
            Launch(Pool2dIlgpuKernels.MaxForward, g.OutputLength, View(x), View(y), new Pool2dSizes(g));

        /// <inheritdoc />
        protected override void MaxPool2dBackwardCore(
            in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx) =>
            Launch(Pool2dIlgpuKernels.MaxBackward, g.InputLength, View(x), View(dy), View(dx), new Pool2dSizes(g));

        /// <inheritdoc />
        protected override void AvgPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
            Launch(Pool2dIlgpuKernels.AvgForward, g.OutputLength, View(x), View(y), new Pool2dSizes(g));

        /// <inheritdoc />
        protected override void AvgPool2dBackwardCore(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
            Launch(Pool2dIlgpuKernels.AvgBackward, g.InputLength, View(dy), View(dx), new Pool2dSizes(g));
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>A <see cref="Pool2dGeometry"/> as a kernel argument. IncludePad is average pooling's
    /// count_include_pad (max pooling ignores it).</summary>
    internal readonly struct Pool2dSizes(in Pool2dGeometry g)
    {
        public readonly int H = g.H, W = g.W, KernelH = g.KernelH, KernelW = g.KernelW, StrideH = g.StrideH;
        public readonly int StrideW = g.StrideW, PadH = g.PadH, PadW = g.PadW, P = g.P, Q = g.Q;
        public readonly int IncludePad = g.CountIncludePad ? 1 : 0;
        public readonly int Outputs = g.OutputLength, Inputs = g.InputLength;
    }

    /// <summary>
    /// Max and average pooling on ILGPU, as Pool2d.cl: forward with one thread per output; backward with one thread
    /// per input pixel, gathering from the windows that cover it in the CPU's (p, q) order into a running value
    /// started from dx, so that overlapping windows need no atomics and the sums round as on the CPU.
    /// x:(N,C,H,W) y:(N,C,P,Q).
    /// </summary>
    internal static class Pool2dIlgpuKernels
    {
        public static void MaxForward(Index1D index, ArrayView<float> x, ArrayView<float> y, Pool2dSizes s)
        {
            int o = index;
            if (o >= s.Outputs)
            {
                return;
            }

            int plane = o / (s.P * s.Q), p = o / s.Q % s.P, q = o % s.Q;
            int h0 = p * s.StrideH - s.PadH, w0 = q * s.StrideW - s.PadW;
            int hs = IntrinsicMath.Max(h0, 0), he = IntrinsicMath.Min(h0 + s.KernelH, s.H);
            int ws = IntrinsicMath.Max(w0, 0), we = IntrinsicMath.Min(w0 + s.KernelW, s.W);
            var input = plane * s.H * s.W;
            var best = float.NegativeInfinity;
            for (var h = hs; h < he; h++)
            {
                for (var w = ws; w < we; w++)
                {
                    var v = x[input + h * s.W + w];
                    // NaN propagates, as in PyTorch.
                    best = v > best || float.IsNaN(v) ? v : best;
                }
            }

            y[o] = best;
        }

        // One thread per input pixel.
        public static void MaxBackward(Index1D index, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx,
            Pool2dSizes s)
        {
            int i = index;
            if (i >= s.Inputs)
            {
                return;
            }

            int plane = i / (s.H * s.W), h = i / s.W % s.H, w = i % s.W;
            int input = plane * s.H * s.W, grad = plane * s.P * s.Q, self = h * s.W + w;
            var (p0, p1, q0, q1) = Covering(s, h, w);
            var value = dx[i];
            for (var p = p0; p <= p1; p++)
            {
                for (var q = q0; q <= q1; q++)
                {
                    if (ArgMax(x, input, s, p, q) == self)
                    {
                        value += dy[grad + p * s.Q + q];
                    }
                }
            }

            dx[i] = value;
        }

        public static void AvgForward(Index1D index, ArrayView<float> x, ArrayView<float> y, Pool2dSizes s)
        {
            int o = index;
            if (o >= s.Outputs)
            {
                return;
            }

            int plane = o / (s.P * s.Q), p = o / s.Q % s.P, q = o % s.Q;
            int h0 = p * s.StrideH - s.PadH, w0 = q * s.StrideW - s.PadW;
            int hs = IntrinsicMath.Max(h0, 0), he = IntrinsicMath.Min(h0 + s.KernelH, s.H);
            int ws = IntrinsicMath.Max(w0, 0), we = IntrinsicMath.Min(w0 + s.KernelW, s.W);
            var input = plane * s.H * s.W;
            var sum = 0.0f;
            for (var h = hs; h < he; h++)
            {
                for (var w = ws; w < we; w++)
                {
                    sum += x[input + h * s.W + w];
                }
            }

            y[o] = sum / Divisor(s, p, q);
        }

        // One thread per input pixel.
        public static void AvgBackward(Index1D index, ArrayView<float> dy, ArrayView<float> dx, Pool2dSizes s)
        {
            int i = index;
            if (i >= s.Inputs)
            {
                return;
            }

            int plane = i / (s.H * s.W), h = i / s.W % s.H, w = i % s.W;
            var grad = plane * s.P * s.Q;
            var (p0, p1, q0, q1) = Covering(s, h, w);
            var value = dx[i];
            for (var p = p0; p <= p1; p++)
            {
                for (var q = q0; q <= q1; q++)
                {
                    value += dy[grad + p * s.Q + q] / Divisor(s, p, q);
                }
            }

            dx[i] = value;
        }

        // The outputs [p0, p1] x [q0, q1] whose windows hold input pixel (h, w).
        private static (int P0, int P1, int Q0, int Q1) Covering(in Pool2dSizes s, int h, int w)
        {
            int top = h + s.PadH - s.KernelH + 1, left = w + s.PadW - s.KernelW + 1;
            var p0 = top <= 0 ? 0 : (top + s.StrideH - 1) / s.StrideH;
            var p1 = IntrinsicMath.Min((h + s.PadH) / s.StrideH, s.P - 1);
            var q0 = left <= 0 ? 0 : (left + s.StrideW - 1) / s.StrideW;
            var q1 = IntrinsicMath.Min((w + s.PadW) / s.StrideW, s.Q - 1);
            return (p0, p1, q0, q1);
        }

        // The first maximum of the window at (p, q) in row-major order (strict comparison, so a NaN never wins over
        // the window's first value), as an index into the plane: the CPU's tie rule.
        private static int ArgMax(ArrayView<float> x, int input, in Pool2dSizes s, int p, int q)
        {
            int h0 = p * s.StrideH - s.PadH, w0 = q * s.StrideW - s.PadW;
            int hs = IntrinsicMath.Max(h0, 0), he = IntrinsicMath.Min(h0 + s.KernelH, s.H);
            int ws = IntrinsicMath.Max(w0, 0), we = IntrinsicMath.Min(w0 + s.KernelW, s.W);
            var at = hs * s.W + ws;
            var best = x[input + at];
            for (var h = hs; h < he; h++)
            {
                for (var w = ws; w < we; w++)
                {
                    var v = x[input + h * s.W + w];
                    if (v > best)
                    {
                        best = v;
                        at = h * s.W + w;
                    }
                }
            }

            return at;
        }

        // count_include_pad: the window clipped to the padded input, padding included; otherwise only its cells
        // inside the input.
        private static float Divisor(in Pool2dSizes s, int p, int q)
        {
            int h0 = p * s.StrideH - s.PadH, w0 = q * s.StrideW - s.PadW;
            if (s.IncludePad != 0)
            {
                return (IntrinsicMath.Min(h0 + s.KernelH, s.H + s.PadH) - h0) *
                    (IntrinsicMath.Min(w0 + s.KernelW, s.W + s.PadW) - w0);
            }

            return (IntrinsicMath.Min(h0 + s.KernelH, s.H) - IntrinsicMath.Max(h0, 0)) *
                (IntrinsicMath.Min(w0 + s.KernelW, s.W) - IntrinsicMath.Max(w0, 0));
        }
    }
}
