using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // The checked entry points of max and average 2-d pooling and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>y = max over each window of x (padding counts as -infinity). x:(N,C,H,W) y:(N,C,P,Q).</summary>
        public void MaxPool2dForward(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y)
        {
            CheckPool(g, x, y);
            MaxPool2dForwardCore(g, x, y);
        }

        /// <summary>dx += dy routed to the first maximum of each window (recomputed from x).</summary>
        public void MaxPool2dBackward(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx)
        {
            CheckPool(g, x, dy);
            CheckRange(dx, 0, g.InputLength, nameof(dx));
            MaxPool2dBackwardCore(g, x, dy, dx);
        }

        /// <summary>y = mean over each window of x, padding counted as zeros in the divisor (PyTorch's default).
        /// </summary>
        public void AvgPool2dForward(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y)
        {
            CheckPool(g, x, y);
            AvgPool2dForwardCore(g, x, y);
        }

        /// <summary>dx += dy spread evenly over each window.</summary>
        public void AvgPool2dBackward(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx)
        {
            g.Validate();
            CheckRange(dy, 0, g.OutputLength, nameof(dy));
            CheckRange(dx, 0, g.InputLength, nameof(dx));
            AvgPool2dBackwardCore(g, dy, dx);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void MaxPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y);
        protected abstract void MaxPool2dBackwardCore(
            in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx);
        protected abstract void AvgPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y);
        protected abstract void AvgPool2dBackwardCore(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx);
#pragma warning restore CS1591

        private void CheckPool(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y)
        {
            g.Validate();
            CheckRange(x, 0, g.InputLength, nameof(x));
            CheckRange(y, 0, g.OutputLength, nameof(y));
        }
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's max and average 2-d pooling.
    public sealed unsafe partial class CpuAccelerator
    {
        private Pool2dCpu? pool;

        // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
        private Pool2dCpu PoolKernel => pool ??= new Pool2dCpu(workers);

        /// <inheritdoc />
        protected override void MaxPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
            PoolKernel.MaxForward(g, Ptr(x), Ptr(y));

        /// <inheritdoc />
        protected override void MaxPool2dBackwardCore(
            in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx) =>
            PoolKernel.MaxBackward(g, Ptr(x), Ptr(dy), Ptr(dx));

        /// <inheritdoc />
        protected override void AvgPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
            PoolKernel.AvgForward(g, Ptr(x), Ptr(y));

        /// <inheritdoc />
        protected override void AvgPool2dBackwardCore(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
            PoolKernel.AvgBackward(g, Ptr(dy), Ptr(dx));
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>
    /// Shape of a 2-D max or average pooling in NCHW layout: x:(N,C,H,W) y:(N,C,P,Q) with
    /// P = floor((H + 2*PadH - KernelH) / StrideH) + 1 (PyTorch's floor mode) and Q likewise. In ceil mode the division
    /// rounds up, so a last window may hang over the bottom or right edge (it is clipped there), but, as in PyTorch, a
    /// window must start inside the input or its top or left padding. Average pooling divides by the window clipped to
    /// the padded input when <see cref="CountIncludePad"/> is true (PyTorch's default count_include_pad=True), by the
    /// number of its cells inside the unpadded input when false; max pooling ignores the flag.
    /// </summary>
    public readonly record struct Pool2dGeometry(
        int N, int C, int H, int W, int KernelH, int KernelW, int StrideH, int StrideW, int PadH = 0, int PadW = 0,
        bool CeilMode = false, bool CountIncludePad = true)
    {
        /// <summary>Output height.</summary>
        public int P => OutputSize(H, PadH, KernelH, StrideH, CeilMode);

        /// <summary>Output width.</summary>
        public int Q => OutputSize(W, PadW, KernelW, StrideW, CeilMode);

        /// <summary>Output extent of one axis, in floor or ceil mode.</summary>
        public static int OutputSize(int input, int pad, int kernel, int stride, bool ceilMode)
        {
            var span = input + 2 * pad - kernel;
            if (!ceilMode)
            {
                return Conv2dGeometry.FloorDiv(span, stride) + 1;
            }

            var count = -Conv2dGeometry.FloorDiv(-span, stride) + 1;
            // PyTorch drops a last window that would start in the bottom or right padding.
            return count > 1 && (count - 1) * stride >= input + pad ? count - 1 : count;
        }

        /// <summary>Elements of x.</summary>
        public int InputLength => N * C * H * W;

        /// <summary>Elements of y.</summary>
        public int OutputLength => N * C * P * Q;

        /// <summary>Throws <see cref="ArgumentException"/> naming the bad field when the geometry is not valid.
        /// </summary>
        public void Validate()
        {
            if (N < 1 || C < 1 || H < 1 || W < 1 || KernelH < 1 || KernelW < 1 || StrideH < 1 || StrideW < 1)
            {
                throw new ArgumentException($"Pool2d sizes and strides must be positive: {this}.");
            }

            if (PadH < 0 || PadW < 0 || PadH * 2 > KernelH || PadW * 2 > KernelW)
            {
                throw new ArgumentException($"Pool2d padding must be between 0 and half the kernel: {this}.");
            }

            if (P < 1 || Q < 1)
            {
                throw new ArgumentException(
                    $"Pool2d output would be empty: input {H}x{W}, kernel {KernelH}x{KernelW}, stride " +
                    $"{StrideH}x{StrideW}, padding {PadH}x{PadW} gives {P}x{Q} from " +
                    $"{(CeilMode ? "ceil" : "floor")}((N + 2P - F)/S) + 1.");
            }
        }
    }

    /// <summary>Max and average pooling on the CPU, a block of (n, c) planes per work item.</summary>
    internal sealed unsafe class Pool2dCpu : IParallelJob
    {
        private const int PlanesPerItem = 8;
        private readonly CpuWorkers workers;
        private Pool2dGeometry g;
        private int mode;
        private float* x;
        private float* y;
        private float* dy;
        private float* dx;

        public Pool2dCpu(CpuWorkers workers) => this.workers = workers;

        // x:(N,C,H,W) y:(N,C,P,Q)
        public void MaxForward(in Pool2dGeometry geometry, float* input, float* output) =>
            Launch(0, geometry, input, output, null, null);

        // x:(N,C,H,W) dy:(N,C,P,Q) dx:(N,C,H,W) +=
        public void MaxBackward(in Pool2dGeometry geometry, float* input, float* dOutput, float* dInput) =>
            Launch(1, geometry, input, null, dOutput, dInput);

        // x:(N,C,H,W) y:(N,C,P,Q)
        public void AvgForward(in Pool2dGeometry geometry, float* input, float* output) =>
            Launch(2, geometry, input, output, null, null);

        // dy:(N,C,P,Q) dx:(N,C,H,W) +=
        public void AvgBackward(in Pool2dGeometry geometry, float* dOutput, float* dInput) =>
            Launch(3, geometry, null, null, dOutput, dInput);

        public void Run(int index, int worker)
        {
            // P and Q are computed properties (a division each): read once per work item, not per window.
            var planes = g.N * g.C;
            long inSize = (long)g.H * g.W, outSize = (long)g.P * g.Q;
            var twoByTwo = g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 &&
                g.PadW == 0 && 2 * g.P <= g.H && 2 * g.Q <= g.W;
            var twoByTwoStride1 = Avx512F.IsSupported && g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 1 &&
                g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;
            for (int plane = index * PlanesPerItem, end = Math.Min(planes, plane + PlanesPerItem); plane < end; plane++)
            {
                long inPlane = plane * inSize, outPlane = plane * outSize;
                switch (mode)
                {
                    case 0 when twoByTwoStride1:
                        MaxForward2x2Stride1(g, x + inPlane, y + outPlane);
                        break;
                    case 1 when twoByTwoStride1:
                        MaxBackward2x2Stride1(g, x + inPlane, dy + outPlane, dx + inPlane);
                        break;
                    case 0 when twoByTwo:
                        MaxForward2x2(g, x + inPlane, y + outPlane);
                        break;
                    case 1 when twoByTwo:
                        MaxBackward2x2(g, x + inPlane, dy + outPlane, dx + inPlane);
                        break;
                    case 0:
                        MaxForwardPlane(g, x + inPlane, y + outPlane);
                        break;
                    case 1:
                        MaxBackwardPlane(g, x + inPlane, dy + outPlane, dx + inPlane);
                        break;
                    case 2:
                        AvgPlane(g, x + inPlane, y + outPlane, forward: true);
                        break;
                    default:
                        AvgPlane(g, dx + inPlane, dy + outPlane, forward: false);
                        break;
                }
            }
        }

        // The 2x2, stride 2 window of LeNet, VGG and most CNNs: every window lies inside the input (floor mode, or ceil
        // mode on even sizes), so there is no clipping, and the four values are compared without loops. NaN propagates
        // as in the general path.
        private static void MaxForward2x2(Pool2dGeometry g, float* x, float* y)
        {
            int W = g.W, P = g.P, Q = g.Q;
            for (var p = 0; p < P; p++)
            {
                var r0 = x + 2 * p * W;
                var r1 = r0 + W;
                var output = y + p * Q;
                if (Avx512F.IsSupported && Q >= 8)
                {
                    MaxForward2x2Row(r0, r1, output, Q);
                    continue;
                }

                for (var q = 0; q < Q; q++)
                {
                    output[q] = MathF.Max(MathF.Max(r0[2 * q], r0[2 * q + 1]), MathF.Max(r1[2 * q], r1[2 * q + 1]));
                }
            }
        }

        // One output row of at least eight windows: the larger of the two input rows, then of each column pair, the
        // pairs' results gathered by a two-source permute. A last block of eight may overlap the one before: the
        // forward only writes, so doing a few windows twice changes nothing.
        private static void MaxForward2x2Row(float* r0, float* r1, float* output, int Q)
        {
            var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var odd = even + Vector512<int>.One;
            var q = 0;
            for (; q + 16 <= Q; q += 16)
            {
                var low = Vector512.Max(Vector512.Load(r0 + 2 * q), Vector512.Load(r1 + 2 * q));
                var high = Vector512.Max(Vector512.Load(r0 + 2 * q + 16), Vector512.Load(r1 + 2 * q + 16));
                Vector512.Max(Avx512F.PermuteVar16x32x2(low, even, high), Avx512F.PermuteVar16x32x2(low, odd, high))
                    .Store(output + q);
            }

            while (q < Q)
            {
                var at = Math.Min(q, Q - 8);
                var rows = Vector512.Max(Vector512.Load(r0 + 2 * at), Vector512.Load(r1 + 2 * at));
                Vector512.Max(Avx512F.PermuteVar16x32x2(rows, even, rows), Avx512F.PermuteVar16x32x2(rows, odd, rows))
                    .GetLower().Store(output + at);
                q = at + 8;
            }
        }

        // The gradient goes to the first maximum in row-major window order, as in the general path.
        private static void MaxBackward2x2(Pool2dGeometry g, float* x, float* dy, float* dx)
        {
            int W = g.W, P = g.P, Q = g.Q;
            for (var p = 0; p < P; p++)
            {
                var top = 2 * p * W;
                if (Avx512F.IsSupported && Q >= 8)
                {
                    MaxBackward2x2Row(x + top, x + top + W, dy + p * Q, dx + top, dx + top + W, Q);
                    continue;
                }

                for (var q = 0; q < Q; q++)
                {
                    int i0 = top + 2 * q, i1 = i0 + 1, i2 = i0 + W, i3 = i2 + 1;
                    // Strict comparisons from the first element: the first maximum wins and a NaN never wins over a,
                    // exactly as in MaxBackwardRange; selects, not branches, since ReLU outputs make them random.
                    var at = i0;
                    var best = x[i0];
                    var v = x[i1];
                    var greater = v > best;
                    best = greater ? v : best;
                    at = greater ? i1 : at;
                    v = x[i2];
                    greater = v > best;
                    best = greater ? v : best;
                    at = greater ? i2 : at;
                    at = x[i3] > best ? i3 : at;
                    dx[at] += dy[p * Q + q];
                }
            }
        }

        // One row of at least eight windows, eight at a time: the two lanes of a window's column pair both hold its
        // four values, a strict-greater scan from the top left picks the winner (the scalar rule, NaN included), and
        // each row of dx gains dy where the winner lies. A last block may overlap the one before; its windows done
        // already are masked off, so every window adds once.
        private static void MaxBackward2x2Row(float* r0, float* r1, float* dyRow, float* d0, float* d1, int Q)
        {
            var pairOf = Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
            var evenLanes = Vector512.Create(-1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0).AsSingle();
            var topCode = Vector512.Create(0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f);
            var bottomCode = topCode + Vector512.Create(2f);
            for (var q = 0; q < Q; q += 8)
            {
                var at = Math.Min(q, Q - 8);
                var a = Vector512.Load(r0 + 2 * at);
                var c = Vector512.Load(r1 + 2 * at);
                // Lane i of the swap holds lane i ^ 1.
                var aSwap = Avx512F.Shuffle(a, a, 0xB1);
                var cSwap = Avx512F.Shuffle(c, c, 0xB1);
                var best = Vector512.ConditionalSelect(evenLanes, a, aSwap);
                var code = Vector512<float>.Zero;
                var greater = Vector512.GreaterThan(Vector512.ConditionalSelect(evenLanes, aSwap, a), best);
                best = Vector512.ConditionalSelect(greater, Vector512.ConditionalSelect(evenLanes, aSwap, a), best);
                code = Vector512.ConditionalSelect(greater, Vector512.Create(1f), code);
                var bottomLeft = Vector512.ConditionalSelect(evenLanes, c, cSwap);
                greater = Vector512.GreaterThan(bottomLeft, best);
                best = Vector512.ConditionalSelect(greater, bottomLeft, best);
                code = Vector512.ConditionalSelect(greater, Vector512.Create(2f), code);
                greater = Vector512.GreaterThan(Vector512.ConditionalSelect(evenLanes, cSwap, c), best);
                code = Vector512.ConditionalSelect(greater, Vector512.Create(3f), code);

                var fresh = Vector512.GreaterThanOrEqual(Vector512.Create(at) + pairOf, Vector512.Create(q)).AsSingle();
                var gradient = Avx512F.PermuteVar16x32(Vector256.Load(dyRow + at).ToVector512Unsafe(), pairOf);
                var upper = Vector512.Equals(code, topCode) & fresh;
                var lower = Vector512.Equals(code, bottomCode) & fresh;
                var old = Vector512.Load(d0 + 2 * at);
                Vector512.ConditionalSelect(upper, old + gradient, old).Store(d0 + 2 * at);
                old = Vector512.Load(d1 + 2 * at);
                Vector512.ConditionalSelect(lower, old + gradient, old).Store(d1 + 2 * at);
            }
        }

        // The 2x2, stride 1 window of the seed net (P = H - 1, Q = W - 1, every window inside the input): sixteen
        // windows of a row at a time, the maximum taken in the general path's order (row-major from -infinity), so
        // NaN propagates the same way.
        private static void MaxForward2x2Stride1(Pool2dGeometry g, float* x, float* y)
        {
            int W = g.W, P = g.P, Q = g.Q;
            var lowest = Vector512.Create(float.NegativeInfinity);
            for (var p = 0; p < P; p++)
            {
                float* r0 = x + p * W, r1 = r0 + W, output = y + p * Q;
                for (var q = 0; q < Q; q += 16)
                {
                    var live = LaneMask(Q - q);
                    var best = Vector512.Max(lowest, Avx512F.MaskLoad(r0 + q, live, lowest));
                    best = Vector512.Max(best, Avx512F.MaskLoad(r0 + q + 1, live, lowest));
                    best = Vector512.Max(best, Avx512F.MaskLoad(r1 + q, live, lowest));
                    best = Vector512.Max(best, Avx512F.MaskLoad(r1 + q + 1, live, lowest));
                    Avx512F.MaskStore(output + q, live, best);
                }
            }
        }

        // Each window's first maximum (strict-greater scan from the top left, so NaN never wins: the general
        // path's rule) as a code 0..3, then the two dx rows under a window row gain dy where their window's winner
        // lies. Sixteen dx columns at a time: column c takes the right-hand cells of window c - 1 (its code and dy
        // shifted one lane up, lane 0 from the previous block) before the left-hand cells of window c, and window
        // row p before p + 1, so every dx element gains its windows' gradients in row-major window order, as in
        // the general path.
        private static void MaxBackward2x2Stride1(Pool2dGeometry g, float* x, float* dy, float* dx)
        {
            int W = g.W, P = g.P, Q = g.Q;
            var none = Vector512.Create(-1);
            for (var p = 0; p < P; p++)
            {
                float* r0 = x + p * W, r1 = r0 + W, d0 = dx + p * W, d1 = d0 + W, gradients = dy + p * Q;
                var previousCode = none;
                var previousGradient = Vector512<int>.Zero;
                for (var c = 0; c < W; c += 16)
                {
                    var live = LaneMask(Q - c);
                    var best = Avx512F.MaskLoad(r0 + c, live, Vector512<float>.Zero);
                    var code = Vector512<int>.Zero;
                    var v = Avx512F.MaskLoad(r0 + c + 1, live, Vector512<float>.Zero);
                    var greater = Vector512.GreaterThan(v, best);
                    best = Vector512.ConditionalSelect(greater, v, best);
                    code = Vector512.ConditionalSelect(greater.AsInt32(), Vector512<int>.One, code);
                    v = Avx512F.MaskLoad(r1 + c, live, Vector512<float>.Zero);
                    greater = Vector512.GreaterThan(v, best);
                    best = Vector512.ConditionalSelect(greater, v, best);
                    code = Vector512.ConditionalSelect(greater.AsInt32(), Vector512.Create(2), code);
                    v = Avx512F.MaskLoad(r1 + c + 1, live, Vector512<float>.Zero);
                    code = Vector512.ConditionalSelect(Vector512.GreaterThan(v, best).AsInt32(), Vector512.Create(3),
                        code);
                    code = Vector512.ConditionalSelect(live.AsInt32(), code, none);

                    var gradient = Avx512F.MaskLoad(gradients + c, live, Vector512<float>.Zero).AsInt32();
                    var shiftedCode = Avx512F.AlignRight32(code, previousCode, 15);
                    var shifted = Avx512F.AlignRight32(gradient, previousGradient, 15).AsSingle();
                    var columns = LaneMask(W - c);
                    AddWhere(d0 + c, columns, Vector512.Equals(shiftedCode, Vector512<int>.One), shifted,
                        Vector512.Equals(code, Vector512<int>.Zero), gradient.AsSingle());
                    AddWhere(d1 + c, columns, Vector512.Equals(shiftedCode, Vector512.Create(3)), shifted,
                        Vector512.Equals(code, Vector512.Create(2)), gradient.AsSingle());
                    previousCode = code;
                    previousGradient = gradient;
                }
            }
        }

        // target += first where takeFirst, then += second where takeSecond, on the live lanes.
        private static void AddWhere(float* target, Vector512<float> live, Vector512<int> takeFirst,
            Vector512<float> first, Vector512<int> takeSecond, Vector512<float> second)
        {
            var old = Avx512F.MaskLoad(target, live, Vector512<float>.Zero);
            old = Vector512.ConditionalSelect(takeFirst.AsSingle(), old + first, old);
            old = Vector512.ConditionalSelect(takeSecond.AsSingle(), old + second, old);
            Avx512F.MaskStore(target, live, old);
        }

        private static Vector512<float> LaneMask(int lanes) =>
            Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle();

        // Locals copied from the geometry keep the loops free of reloads through pointers that might alias.
        private static void MaxForwardPlane(Pool2dGeometry g, float* x, float* y)
        {
            int H = g.H, W = g.W, P = g.P, Q = g.Q, kh = g.KernelH, kw = g.KernelW;
            var first = FirstInterior(g, Q);
            var full = LastFull(g, Q);
            for (var p = 0; p < P; p++)
            {
                var h0 = p * g.StrideH - g.PadH;
                int hs = Math.Max(h0, 0), he = Math.Min(h0 + kh, H);
                var q = 0;
                if (g.StrideW == 1 && he - hs == kh && full - first >= 8)
                {
                    // Eight neighbouring windows at once; Max propagates NaN as the scalar path does. A last block
                    // may overlap the one before, which only writes the same values again.
                    for (q = first; q < full;)
                    {
                        var at = Math.Min(q, full - 8);
                        var best = Vector256.Create(float.NegativeInfinity);
                        for (var h = hs; h < he; h++)
                        {
                            var row = x + h * W + at - g.PadW;
                            for (var s = 0; s < kw; s++)
                            {
                                best = Vector256.Max(best, Vector256.Load(row + s));
                            }
                        }

                        best.Store(y + p * Q + at);
                        q = at + 8;
                    }

                    MaxForwardRange(g, x, y, p, Q, 0, first);
                }

                MaxForwardRange(g, x, y, p, Q, q, Q);
            }
        }

        private static void MaxForwardRange(Pool2dGeometry g, float* x, float* y, int p, int Q, int qStart, int qEnd)
        {
            int H = g.H, W = g.W, kh = g.KernelH, kw = g.KernelW;
            var h0 = p * g.StrideH - g.PadH;
            int hs = Math.Max(h0, 0), he = Math.Min(h0 + kh, H);
            for (var q = qStart; q < qEnd; q++)
            {
                var w0 = q * g.StrideW - g.PadW;
                int ws = Math.Max(w0, 0), we = Math.Min(w0 + kw, W);
                var best = float.NegativeInfinity;
                for (var h = hs; h < he; h++)
                {
                    var row = x + h * W;
                    for (var w = ws; w < we; w++)
                    {
                        // NaN propagates, as in PyTorch; a select rather than a branch, since ReLU outputs make
                        // the comparison unpredictable.
                        var v = row[w];
                        best = v > best || float.IsNaN(v) ? v : best;
                    }
                }

                y[p * Q + q] = best;
            }
        }

        // The first output column whose window starts inside the input (left padding skipped).
        private static int FirstInterior(Pool2dGeometry g, int Q) => Math.Min(Q, (g.PadW + g.StrideW - 1) / g.StrideW);

        // For stride 1: one past the last output column whose window ends inside the input (right edge not clipped).
        private static int LastFull(Pool2dGeometry g, int Q) => Math.Clamp(g.W + g.PadW - g.KernelW + 1, 0, Q);

        // The gradient goes to the first maximum of each window, found again from x. Windows are visited in
        // row-major order, so each dx element gains its windows' gradients in that order whichever path runs.
        private static void MaxBackwardPlane(Pool2dGeometry g, float* x, float* dy, float* dx)
        {
            int H = g.H, W = g.W, P = g.P, Q = g.Q, kh = g.KernelH, kw = g.KernelW;
            var first = FirstInterior(g, Q);
            var full = LastFull(g, Q);
            for (var p = 0; p < P; p++)
            {
                var h0 = p * g.StrideH - g.PadH;
                int hs = Math.Max(h0, 0), he = Math.Min(h0 + kh, H);
                var q = 0;
                if (g.StrideW == 1 && he - hs == kh && full - first >= 8)
                {
                    MaxBackwardRange(g, x, dy, dx, p, Q, 0, first);
                    for (q = first; q < full;)
                    {
                        var at = Math.Min(q, full - 8);
                        MaxBackwardBlock(x, dy + p * Q + at, dx, hs * W + at - g.PadW, W, kh, kw, at - q);
                        q = at + 8;
                    }
                }

                MaxBackwardRange(g, x, dy, dx, p, Q, q, Q);
            }
        }

        // Eight neighbouring stride-1 windows whose top-left input is x[origin]: a strict-greater scan keeps the
        // first maximum's kernel offset per lane, then each kernel offset's lanes add dy into dx. Offsets run right
        // to left within a kernel row, so a dx element gains its windows' gradients left to right. Lanes below
        // -<paramref name="overlap"/> (windows an earlier block did) add nothing.
        private static void MaxBackwardBlock(float* x, float* dy, float* dx, int origin, int W, int kh, int kw,
            int overlap)
        {
            var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            var best = Vector256.Load(x + origin);
            var code = Vector256<int>.Zero;
            for (var r = 0; r < kh; r++)
            {
                for (var s = 0; s < kw; s++)
                {
                    var v = Vector256.Load(x + origin + r * W + s);
                    var greater = Vector256.GreaterThan(v, best);
                    best = Vector256.ConditionalSelect(greater, v, best);
                    code = Vector256.ConditionalSelect(greater.AsInt32(), Vector256.Create(r * kw + s), code);
                }
            }

            var fresh = Vector256.GreaterThanOrEqual(lanes, Vector256.Create(-overlap)).AsSingle();
            var gradient = Vector256.Load(dy);
            for (var r = 0; r < kh; r++)
            {
                for (var s = kw - 1; s >= 0; s--)
                {
                    var take = Vector256.Equals(code, Vector256.Create(r * kw + s)).AsSingle() & fresh;
                    var target = dx + origin + r * W + s;
                    var old = Vector256.Load(target);
                    Vector256.ConditionalSelect(take, old + gradient, old).Store(target);
                }
            }
        }

        private static void MaxBackwardRange(Pool2dGeometry g, float* x, float* dy, float* dx, int p, int Q,
            int qStart, int qEnd)
        {
            int H = g.H, W = g.W, kh = g.KernelH, kw = g.KernelW;
            var h0 = p * g.StrideH - g.PadH;
            int hs = Math.Max(h0, 0), he = Math.Min(h0 + kh, H);
            for (var q = qStart; q < qEnd; q++)
            {
                var w0 = q * g.StrideW - g.PadW;
                int ws = Math.Max(w0, 0), we = Math.Min(w0 + kw, W);
                var at = hs * W + ws;
                var best = x[at];
                for (var h = hs; h < he; h++)
                {
                    var row = h * W;
                    for (var w = ws; w < we; w++)
                    {
                        var v = x[row + w];
                        var greater = v > best;
                        best = greater ? v : best;
                        at = greater ? row + w : at;
                    }
                }

                dx[at] += dy[p * Q + q];
            }
        }

        // Forward: y = mean of the window of x. Backward: the window of dx (passed as x) gains dy / divisor.
        private static void AvgPlane(Pool2dGeometry g, float* x, float* y, bool forward)
        {
            int H = g.H, W = g.W, P = g.P, Q = g.Q, kh = g.KernelH, kw = g.KernelW;
            for (var p = 0; p < P; p++)
            {
                var h0 = p * g.StrideH - g.PadH;
                int hs = Math.Max(h0, 0), he = Math.Min(h0 + kh, H);
                for (var q = 0; q < Q; q++)
                {
                    var w0 = q * g.StrideW - g.PadW;
                    int ws = Math.Max(w0, 0), we = Math.Min(w0 + kw, W);
                    // count_include_pad: the window clipped to the padded input, padding included; otherwise only
                    // the cells inside the input, which a window starting in the input or its padding always has.
                    float divisor = g.CountIncludePad
                        ? (Math.Min(h0 + kh, H + g.PadH) - h0) * (Math.Min(w0 + kw, W + g.PadW) - w0)
                        : (he - hs) * (we - ws);
                    if (forward)
                    {
                        var sum = 0f;
                        for (var h = hs; h < he; h++)
                        {
                            for (var w = ws; w < we; w++)
                            {
                                sum += x[h * W + w];
                            }
                        }

                        y[p * Q + q] = sum / divisor;
                    }
                    else
                    {
                        var share = y[p * Q + q] / divisor;
                        for (var h = hs; h < he; h++)
                        {
                            for (var w = ws; w < we; w++)
                            {
                                x[h * W + w] += share;
                            }
                        }
                    }
                }
            }
        }

        private void Launch(int kind, in Pool2dGeometry geometry, float* input, float* output, float* dOutput,
            float* dInput)
        {
            mode = kind;
            g = geometry;
            x = input;
            y = output;
            dy = dOutput;
            dx = dInput;
            workers.Run(this, (g.N * g.C + PlanesPerItem - 1) / PlanesPerItem);
        }
    }
}
