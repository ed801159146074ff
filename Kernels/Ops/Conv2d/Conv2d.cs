using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Cpu.Direct;
using GpuCnn.Kernels.Cpu.Winograd;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // The checked entry points of 2-d convolution and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>y = conv(x, w) + b. x:(N,C,H,W) w:(K,C/G,R,S) b:(K) or null y:(N,K,P,Q).</summary>
        public void Conv2dForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y)
        {
            CheckConv2dForward(g, x, w, b, y);
            Conv2dForwardCore(g, x, w, b, y);
        }

        // The checks every forward entry point makes: the geometry, and each buffer long enough for it.
        private void CheckConv2dForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b,
            DeviceBuffer y)
        {
            g.Validate();
            CheckRange(x, 0, g.InputLength, nameof(x));
            CheckRange(w, 0, g.WeightLength, nameof(w));
            if (b is not null)
            {
                CheckRange(b, 0, g.K, nameof(b));
            }

            CheckRange(y, 0, g.OutputLength, nameof(y));
        }

        /// <summary>dx += conv_transpose(dy, w). dy:(N,K,P,Q) w:(K,C/G,R,S) dx:(N,C,H,W).</summary>
        public void Conv2dBackwardData(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
        {
            g.Validate();
            CheckRange(dy, 0, g.OutputLength, nameof(dy));
            CheckRange(w, 0, g.WeightLength, nameof(w));
            CheckRange(dx, 0, g.InputLength, nameof(dx));
            Conv2dBackwardDataCore(g, dy, w, dx);
        }

        /// <summary>dw += correlation of x with dy; db += sum of dy over N, P, Q.
        /// x:(N,C,H,W) dy:(N,K,P,Q) dw:(K,C/G,R,S) db:(K) or null.</summary>
        public void Conv2dBackwardFilter(
            in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
        {
            g.Validate();
            CheckRange(x, 0, g.InputLength, nameof(x));
            CheckRange(dy, 0, g.OutputLength, nameof(dy));
            CheckRange(dw, 0, g.WeightLength, nameof(dw));
            if (db is not null)
            {
                CheckRange(db, 0, g.K, nameof(db));
            }

            Conv2dBackwardFilterCore(g, x, dy, dw, db);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void Conv2dForwardCore(
            in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y);
        protected abstract void Conv2dBackwardDataCore(
            in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx);
        protected abstract void Conv2dBackwardFilterCore(
            in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db);
#pragma warning restore CS1591
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's 2-d convolution: the one place that picks the algorithm for a layer shape — Winograd for
    // 3x3 stride-1 layers where it pays, a direct convolution for layers with few taps per output, a gathered panel
    // for the small maps of one to three images (where im2col would leave a core idle), else im2col + GEMM.
    public sealed unsafe partial class CpuAccelerator
    {
        private CpuScratch? convScratch;
        private Conv2dCpu? conv;
        private Conv2dDirect? direct;
        private WinogradConv? winograd;
        private Conv2dFewPixels? fewPixels;
        private Conv2dSmallMap? smallMap;

        // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
        // The im2col and direct kernels never run at the same time, so they share one scratch.
        private CpuScratch ConvScratch => convScratch ??= new CpuScratch(workers.Count);

        private Conv2dCpu ConvKernel => conv ??= new Conv2dCpu(workers, ConvScratch);

        private Conv2dDirect DirectKernel => direct ??= new Conv2dDirect(workers, ConvScratch);

        private WinogradConv WinogradKernel => winograd ??= new WinogradConv(workers);

        private Conv2dFewPixels FewPixelsKernel => fewPixels ??= new Conv2dFewPixels(workers, ConvScratch);

        private Conv2dSmallMap SmallMapKernel => smallMap ??= new Conv2dSmallMap(workers, ConvScratch);

        /// <inheritdoc />
        protected override void Conv2dForwardCore(
            in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y) =>
            Conv2dForward(g, x, w, y, ConvEpilogue.BiasOnly(PtrOrNull(b)));

        // y = after(conv(x, w)): kernels that cannot apply the epilogue as they write get a pass over y after them.
        private void Conv2dForward(
            in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer y, in ConvEpilogue after)
        {
            if (WinogradConv.SuitsForward(g))
            {
                WinogradKernel.Forward(g, Ptr(x), Ptr(w), after.Bias, Ptr(y));
                NormalizeAfter(g, Ptr(y), after);
            }
            else if (Conv2dFewPixels.Fits(g))
            {
                FewPixelsKernel.Forward(g, Ptr(x), Ptr(w), Ptr(y), after);
            }
            else if (Conv2dDirect.Fits(g))
            {
                DirectKernel.Forward(g, Ptr(x), Ptr(w), after.Bias, Ptr(y));
                NormalizeAfter(g, Ptr(y), after);
            }
            else if (Conv2dSmallMap.Fits(g))
            {
                SmallMapKernel.Forward(g, Ptr(x), Ptr(w), Ptr(y), after);
            }
            else
            {
                ConvKernel.Forward(g, Ptr(x), Ptr(w), Ptr(y), after);
            }
        }

        /// <inheritdoc />
        protected override void Conv2dBackwardDataCore(
            in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
        {
            if (WinogradConv.SuitsBackwardData(g))
            {
                WinogradKernel.BackwardData(g, Ptr(dy), Ptr(w), Ptr(dx));
            }
            else if (Conv2dDirect.FitsBackwardData(g))
            {
                DirectKernel.BackwardData(g, Ptr(dy), Ptr(w), Ptr(dx));
            }
            else
            {
                ConvKernel.BackwardData(g, Ptr(dy), Ptr(w), Ptr(dx));
            }
        }

        /// <inheritdoc />
        protected override void Conv2dBackwardFilterCore(
            in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
        {
            if (WinogradConv.SuitsBackwardFilter(g))
            {
                WinogradKernel.BackwardFilter(g, Ptr(x), Ptr(dy), Ptr(dw), PtrOrNull(db));
            }
            else if (Conv2dDirect.Fits(g))
            {
                DirectKernel.BackwardFilter(g, Ptr(x), Ptr(dy), Ptr(dw), PtrOrNull(db));
            }
            else
            {
                ConvKernel.BackwardFilter(g, Ptr(x), Ptr(dy), Ptr(dw), PtrOrNull(db));
            }
        }
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>
    /// Shape of one 2-D convolution in NCHW layout:
    /// x:(N,C,H,W) w:(K,C/Groups,R,S) b:(K) y:(N,K,P,Q) with
    /// P = floor((H + PadTop + PadBottom - DilationH*(R-1) - 1) / StrideH) + 1, and Q likewise.
    /// Padding may be asymmetric (Keras "same" with an even kernel pads one more at the bottom and right).
    /// </summary>
    public readonly record struct Conv2dGeometry(
        int N, int C, int H, int W, int K, int R, int S,
        int StrideH = 1, int StrideW = 1,
        int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
        int DilationH = 1, int DilationW = 1, int Groups = 1)
    {
        /// <summary>Output height.</summary>
        public int P => OutputSize(H, PadTop + PadBottom, R, StrideH, DilationH);

        /// <summary>Output width.</summary>
        public int Q => OutputSize(W, PadLeft + PadRight, S, StrideW, DilationW);

        /// <summary>Input channels per group.</summary>
        public int CPerGroup => C / Groups;

        /// <summary>Output channels per group.</summary>
        public int KPerGroup => K / Groups;

        /// <summary>Elements of x.</summary>
        public int InputLength => N * C * H * W;

        /// <summary>Elements of w.</summary>
        public int WeightLength => K * CPerGroup * R * S;

        /// <summary>Elements of y.</summary>
        public int OutputLength => N * K * P * Q;

        /// <summary>Multiply-adds of the forward pass for the whole batch.</summary>
        public long MultiplyAdds => (long)N * K * P * Q * CPerGroup * R * S;

        /// <summary>True when the im2col matrix equals the input (1x1 kernel, stride 1, no padding).</summary>
        internal bool IsPointwise => R == 1 && S == 1 && StrideH == 1 && StrideW == 1 && DilationH == 1 &&
            DilationW == 1 && PadTop == 0 && PadLeft == 0 && PadBottom == 0 && PadRight == 0;

        /// <summary>The seeds' formula floor((N + 2P - F) / S) + 1, with dilation and total padding.</summary>
        public static int OutputSize(int input, int totalPadding, int kernel, int stride, int dilation = 1) =>
            FloorDiv(input + totalPadding - dilation * (kernel - 1) - 1, stride) + 1;

        /// <summary>Division rounding toward negative infinity: C#'s '/' truncates, and (-1)/2 must be -1 here so
        /// that a kernel larger than the padded input yields an empty output instead of one pixel.</summary>
        internal static int FloorDiv(int numerator, int denominator)
        {
            var quotient = numerator / denominator;
            return quotient * denominator > numerator ? quotient - 1 : quotient;
        }

        /// <summary>Throws <see cref="ArgumentException"/> naming the bad field when the geometry is not valid.
        /// </summary>
        public void Validate()
        {
            if (N < 1 || C < 1 || H < 1 || W < 1 || K < 1 || R < 1 || S < 1)
            {
                throw new ArgumentException($"Conv2d sizes must be positive: {this}.");
            }

            if (StrideH < 1 || StrideW < 1 || DilationH < 1 || DilationW < 1 || Groups < 1)
            {
                throw new ArgumentException($"Conv2d stride, dilation and groups must be at least 1: {this}.");
            }

            if (PadTop < 0 || PadLeft < 0 || PadBottom < 0 || PadRight < 0)
            {
                throw new ArgumentException($"Conv2d padding must not be negative: {this}.");
            }

            if (C % Groups != 0 || K % Groups != 0)
            {
                throw new ArgumentException($"Conv2d channels C={C} and K={K} must both divide by groups={Groups}.");
            }

            if (P < 1 || Q < 1)
            {
                throw new ArgumentException(
                    $"Conv2d output would be empty: input {H}x{W}, kernel {R}x{S}, stride {StrideH}x{StrideW}, " +
                    $"padding ({PadTop},{PadLeft},{PadBottom},{PadRight}), dilation {DilationH}x{DilationW} gives " +
                    $"{P}x{Q} from floor((N + P_total - D*(F-1) - 1)/S) + 1.");
            }
        }
    }

    /// <summary>
    /// Convolution on the CPU as im2col + GEMM, a few images per work item: each worker unfolds its images side by
    /// side into a (C/G*R*S, images*P*Q) matrix in its own scratch and multiplies it single-threaded, so the cores
    /// never share a tile. Large maps take one image per item; small ones (the 8x8 to 1x1 maps of deep networks on
    /// 32x32 inputs) take several, so that the GEMM is wide enough to keep its register tile full. The weight
    /// gradient is summed per fixed range of images and reduced at the end.
    /// </summary>
    internal sealed unsafe class Conv2dCpu : IParallelJob
    {
        private readonly CpuWorkers workers;
        private readonly CpuScratch scratch;
        private Mode mode;
        private Conv2dGeometry g;
        private float* x;
        private float* w;
        private float* b;
        private float* y;
        private float* dWorkers;
        private int partialLength;
        private int partitions;
        private int imagesPerItem;
        private ConvEpilogue epilogue;

        // Columns a work item's GEMM should have at least: below this the 32-wide register tile runs mostly empty.
        private const int TargetColumns = 512;

        public Conv2dCpu(CpuWorkers workers, CpuScratch scratch)
        {
            this.workers = workers;
            this.scratch = scratch;
        }

        private enum Mode
        {
            Forward,
            BackwardData,
            BackwardFilter,
        }

        // x:(N,C,H,W) w:(K,C/G,R,S) y:(N,K,P,Q) = epilogue(conv(x, w)), the epilogue adding the bias if any.
        public void Forward(in Conv2dGeometry geometry, float* input, float* weight, float* output,
            in ConvEpilogue after)
        {
            Set(Mode.Forward, geometry, input, weight, after.Bias, output);
            epilogue = after;
            workers.Run(this, Items);
        }

        // dy:(N,K,P,Q) w:(K,C/G,R,S) dx:(N,C,H,W) += ...
        public void BackwardData(in Conv2dGeometry geometry, float* dOutput, float* weight, float* dInput)
        {
            Set(Mode.BackwardData, geometry, dInput, weight, null, dOutput);
            workers.Run(this, Items);
        }

        // x:(N,C,H,W) dy:(N,K,P,Q) dw:(K,C/G,R,S) += ... db:(K)? += ...
        public void BackwardFilter(
            in Conv2dGeometry geometry, float* input, float* dOutput, float* dWeight, float* dBias)
        {
            Set(Mode.BackwardFilter, geometry, input, dWeight, dBias, dOutput);
            // NOTE: each partial sum owns a fixed, contiguous range of images and the partials are added in a fixed
            // order, so the weight gradient is bitwise the same whichever thread runs which range.
            partitions = Math.Min(workers.Count, g.N);
            partialLength = g.WeightLength + g.K;
            dWorkers = scratch.Shared(0, partialLength * partitions);
            workers.Run(this, partitions);
            PartialSums.AddInto(dWorkers, partitions, partialLength, w, g.WeightLength, b, g.K);
        }

        public void Run(int n, int worker)
        {
            switch (mode)
            {
                case Mode.Forward when imagesPerItem == 1:
                    ForwardImage(n, worker);
                    break;
                case Mode.Forward:
                    ForwardImages(n * imagesPerItem, Math.Min(g.N - n * imagesPerItem, imagesPerItem), worker);
                    break;
                case Mode.BackwardData when imagesPerItem == 1:
                    BackwardDataImage(n, worker);
                    break;
                case Mode.BackwardData:
                    BackwardDataImages(n * imagesPerItem, Math.Min(g.N - n * imagesPerItem, imagesPerItem), worker);
                    break;
                default:
                    var partial = dWorkers + (long)n * partialLength;
                    new Span<float>(partial, partialLength).Clear();
                    int image = n * g.N / partitions, end = (n + 1) * g.N / partitions;
                    if (imagesPerItem == 1)
                    {
                        for (; image < end; image++)
                        {
                            BackwardFilterImage(image, worker, partial);
                        }
                    }
                    else
                    {
                        for (; image < end; image += imagesPerItem)
                        {
                            BackwardFilterImages(image, Math.Min(end - image, imagesPerItem), worker, partial);
                        }
                    }

                    break;
            }
        }

        private void Set(Mode m, in Conv2dGeometry geometry, float* input, float* weight, float* bias, float* output)
        {
            mode = m;
            g = geometry;
            var pq = g.P * g.Q;
            imagesPerItem = ImagesPerItem(g, workers.Count);
            if (imagesPerItem > 1)
            {
                // The unfolded images side by side, then the GEMM's (K/G, images*P*Q) product before it is scattered.
                scratch.Reserve((ColumnRows + g.KPerGroup) * imagesPerItem * pq);
            }
            else if (!g.IsPointwise)
            {
                scratch.Reserve(ColumnRows * pq);
            }

            x = input;
            w = weight;
            b = bias;
            y = output;
        }

        private int ColumnRows => g.CPerGroup * g.R * g.S;

        // One image per item unless the maps are small and the layer wide: then enough images for about TargetColumns
        // columns, in a number of items that divides evenly among the workers. A narrow layer (fewer than 32 output
        // channels per group, LeNet's conv2) gains nothing from a wider GEMM and loses to the gathering and scattering.
        private static int ImagesPerItem(in Conv2dGeometry g, int workers)
        {
            var pq = g.P * g.Q;
            if (pq >= TargetColumns || g.N == 1 || g.KPerGroup < 32)
            {
                return 1;
            }

            var itemsPerWorker = Math.Max(1, (int)Math.Round((double)g.N * pq / (workers * TargetColumns)));
            var items = Math.Min(g.N, workers * itemsPerWorker);
            return (g.N + items - 1) / items;
        }

        private int Items => (g.N + imagesPerItem - 1) / imagesPerItem;

        // Images [first, first + count) at once: col (C/G*R*S, count*P*Q) holds them side by side and the product
        // (K/G, count*P*Q) is scattered back to each image's (K, P, Q) output.
        private void ForwardImages(int first, int count, int worker)
        {
            int pq = g.P * g.Q, rows = ColumnRows, kg = g.KPerGroup, cols = count * pq;
            var col = scratch.ForWorker(worker, (rows + kg) * cols);
            var product = col + (long)rows * cols;
            for (var group = 0; group < g.Groups; group++)
            {
                UnfoldImages(first, count, group, col);

                CpuGemm.Sgemm(false, false, kg, cols, rows, 1f, w + (long)group * kg * rows, rows, col, cols, 0f,
                    product, cols, parallel: false);
                for (var i = 0; i < count; i++)
                {
                    var output = y + ((long)(first + i) * g.K + group * kg) * pq;
                    for (var k = 0; k < kg; k++)
                    {
                        new ReadOnlySpan<float>(product + (long)k * cols + i * pq, pq)
                            .CopyTo(new Span<float>(output + (long)k * pq, pq));
                    }
                }
            }

            for (var i = 0; i < count; i++)
            {
                ApplyEpilogue(y + (long)(first + i) * g.K * pq, 0, g.K);
            }
        }

        // Here x is dx and y is dy: dy's slices are gathered side by side, multiplied by the weight transposed, and
        // each image's columns are folded back into its dx.
        private void BackwardDataImages(int first, int count, int worker)
        {
            int pq = g.P * g.Q, rows = ColumnRows, kg = g.KPerGroup, cols = count * pq;
            var col = scratch.ForWorker(worker, (rows + kg) * cols);
            var gathered = col + (long)rows * cols;
            for (var group = 0; group < g.Groups; group++)
            {
                GatherOutput(first, count, group, gathered);
                CpuGemm.Sgemm(true, false, rows, cols, kg, 1f, w + (long)group * kg * rows, rows, gathered, cols, 0f,
                    col, cols, false);
                for (var i = 0; i < count; i++)
                {
                    Col2ImAdd(col + i * pq, GroupInput(x, first + i, group), cols);
                }
            }
        }

        // Here w is dw, b is db, y is dy: one GEMM over the images' columns adds their contributions to the partial.
        private void BackwardFilterImages(int first, int count, int worker, float* partial)
        {
            int pq = g.P * g.Q, rows = ColumnRows, kg = g.KPerGroup, cols = count * pq;
            var col = scratch.ForWorker(worker, (rows + kg) * cols);
            var gathered = col + (long)rows * cols;
            for (var group = 0; group < g.Groups; group++)
            {
                UnfoldImages(first, count, group, col);

                GatherOutput(first, count, group, gathered);
                CpuGemm.Sgemm(false, true, kg, rows, cols, 1f, gathered, cols, col, cols, 1f,
                    partial + (long)group * kg * rows, rows, false);
            }

            if (b != null)
            {
                for (var i = 0; i < count; i++)
                {
                    SumBiasGradient(y + (long)(first + i) * g.K * pq, partial + g.WeightLength);
                }
            }
        }

        // col[:, i*P*Q ...] = the unfolded group of image first + i, for each of count images side by side.
        private void UnfoldImages(int first, int count, int group, float* col)
        {
            var pq = g.P * g.Q;
            for (var i = 0; i < count; i++)
            {
                Im2Col(GroupInput(x, first + i, group), col + i * pq, count * pq);
            }
        }

        // Channels [k0, k1) of one image's output (K, P, Q) through the epilogue (the bias at least, if any).
        private void ApplyEpilogue(float* output, int k0, int k1)
        {
            if (!epilogue.Any)
            {
                return;
            }

            var pq = g.P * g.Q;
            for (var k = k0; k < k1; k++)
            {
                epilogue.ApplyRow(output + (long)k * pq, pq, k);
            }
        }

        // dBias += one image's output gradient (K, P, Q) summed per channel.
        private void SumBiasGradient(float* dOutput, float* dBias)
        {
            var pq = g.P * g.Q;
            for (var k = 0; k < g.K; k++)
            {
                dBias[k] += PartialSums.Sum(dOutput + (long)k * pq, pq);
            }
        }

        private float* GroupInput(float* tensor, int image, int group) =>
            tensor + ((long)image * g.C + (long)group * g.CPerGroup) * g.H * g.W;

        // gathered[k, i*P*Q + j] = y[first + i, group*K/G + k, j]
        private void GatherOutput(int first, int count, int group, float* gathered)
        {
            int pq = g.P * g.Q, kg = g.KPerGroup, cols = count * pq;
            for (var i = 0; i < count; i++)
            {
                var source = y + ((long)(first + i) * g.K + group * kg) * pq;
                for (var k = 0; k < kg; k++)
                {
                    new ReadOnlySpan<float>(source + (long)k * pq, pq)
                        .CopyTo(new Span<float>(gathered + (long)k * cols + i * pq, pq));
                }
            }
        }

        private void ForwardImage(int n, int worker)
        {
            int pq = g.P * g.Q, rows = ColumnRows, kg = g.KPerGroup;
            var image = x + (long)n * g.C * g.H * g.W;
            var output = y + (long)n * g.K * pq;
            var col = g.IsPointwise ? null : scratch.ForWorker(worker, rows * pq);
            for (var group = 0; group < g.Groups; group++)
            {
                var source = Unfold(image + (long)group * g.CPerGroup * g.H * g.W, col);

                CpuGemm.Sgemm(false, false, kg, pq, rows, 1f, w + (long)group * kg * rows, rows, source, pq, 0f,
                    output + (long)group * kg * pq, pq, parallel: false);
            }

            ApplyEpilogue(output, 0, g.K);
        }

        private void BackwardDataImage(int n, int worker)
        {
            // Here x is dx and y is dy (see BackwardData).
            int pq = g.P * g.Q, rows = ColumnRows, kg = g.KPerGroup;
            var dImage = x + (long)n * g.C * g.H * g.W;
            var dOutput = y + (long)n * g.K * pq;
            var col = g.IsPointwise ? null : scratch.ForWorker(worker, rows * pq);
            for (var group = 0; group < g.Groups; group++)
            {
                var dGroup = dImage + (long)group * g.CPerGroup * g.H * g.W;
                var weight = w + (long)group * kg * rows;
                var dyGroup = dOutput + (long)group * kg * pq;
                if (col == null)
                {
                    CpuGemm.Sgemm(true, false, rows, pq, kg, 1f, weight, rows, dyGroup, pq, 1f, dGroup, pq, false);
                }
                else
                {
                    CpuGemm.Sgemm(true, false, rows, pq, kg, 1f, weight, rows, dyGroup, pq, 0f, col, pq, false);
                    Col2ImAdd(col, dGroup, pq);
                }
            }
        }

        private void BackwardFilterImage(int n, int worker, float* partial)
        {
            // Here w is dw, b is db, y is dy; the image's contribution goes into its range's partial sum.
            int pq = g.P * g.Q, rows = ColumnRows, kg = g.KPerGroup;

            var image = x + (long)n * g.C * g.H * g.W;
            var dOutput = y + (long)n * g.K * pq;
            var col = g.IsPointwise ? null : scratch.ForWorker(worker, rows * pq);
            for (var group = 0; group < g.Groups; group++)
            {
                var source = Unfold(image + (long)group * g.CPerGroup * g.H * g.W, col);

                CpuGemm.Sgemm(false, true, kg, rows, pq, 1f, dOutput + (long)group * kg * pq, pq, source, pq, 1f,
                    partial + (long)group * kg * rows, rows, false);
            }

            if (b != null)
            {
                SumBiasGradient(dOutput, partial + g.WeightLength);
            }
        }

        // The group's im2col matrix: the input itself for a pointwise convolution (col == null), else unfolded.
        private float* Unfold(float* groupInput, float* col)
        {
            if (col == null)
            {
                return groupInput;
            }

            Im2Col(groupInput, col, g.P * g.Q);
            return col;
        }

        // col[(c*R + r)*S + s, p*Q + q] = x[c, p*sh - padTop + r*dh, q*sw - padLeft + s*dw], zero outside; rows of
        // col are ld floats apart (P*Q for one image alone, more when several images sit side by side).
        private void Im2Col(float* image, float* col, int ld)
        {
            int P = g.P, Q = g.Q;
            var row = col;
            for (var c = 0; c < g.CPerGroup; c++)
            {
                var plane = image + (long)c * g.H * g.W;
                for (var r = 0; r < g.R; r++)
                {
                    for (var s = 0; s < g.S; s++)
                    {
                        var colOffset = s * g.DilationW - g.PadLeft;
                        QRange(colOffset, out var q0, out var q1);
                        for (var p = 0; p < P; p++)
                        {
                            var dst = row + p * Q;
                            var ih = p * g.StrideH - g.PadTop + r * g.DilationH;
                            if ((uint)ih >= (uint)g.H || q0 >= q1)
                            {
                                new Span<float>(dst, Q).Clear();
                                continue;
                            }

                            var src = plane + ih * g.W + colOffset;
                            for (var q = 0; q < q0; q++)
                            {
                                dst[q] = 0f;
                            }

                            if (g.StrideW == 1)
                            {
                                new ReadOnlySpan<float>(src + q0, q1 - q0).CopyTo(new Span<float>(dst + q0, q1 - q0));
                            }
                            else
                            {
                                for (var q = q0; q < q1; q++)
                                {
                                    dst[q] = src[q * g.StrideW];
                                }
                            }

                            for (var q = q1; q < Q; q++)
                            {
                                dst[q] = 0f;
                            }
                        }

                        row += ld;
                    }
                }
            }
        }

        // The adjoint of Im2Col: every column entry is added back to the pixel it was read from.
        private void Col2ImAdd(float* col, float* dImage, int ld)
        {
            int P = g.P, Q = g.Q;
            var row = col;
            for (var c = 0; c < g.CPerGroup; c++)
            {
                var plane = dImage + (long)c * g.H * g.W;
                for (var r = 0; r < g.R; r++)
                {
                    for (var s = 0; s < g.S; s++)
                    {
                        var colOffset = s * g.DilationW - g.PadLeft;
                        QRange(colOffset, out var q0, out var q1);
                        for (var p = 0; p < P; p++)
                        {
                            var ih = p * g.StrideH - g.PadTop + r * g.DilationH;
                            if ((uint)ih >= (uint)g.H || q0 >= q1)
                            {
                                continue;
                            }

                            var dst = plane + ih * g.W + colOffset;
                            var src = row + p * Q;
                            if (g.StrideW == 1)
                            {
                                PartialSums.Add(src + q0, dst + q0, q1 - q0);
                            }
                            else
                            {
                                for (var q = q0; q < q1; q++)
                                {
                                    dst[q * g.StrideW] += src[q];
                                }
                            }
                        }

                        row += ld;
                    }
                }
            }
        }

        // The output columns q whose input column q*sw + offset lies inside [0, W).
        private void QRange(int offset, out int q0, out int q1)
        {
            var sw = g.StrideW;
            q0 = offset >= 0 ? 0 : (-offset + sw - 1) / sw;
            var last = g.W - 1 - offset;
            q1 = last < 0 ? 0 : Math.Min(g.Q, last / sw + 1);
        }
    }
}
