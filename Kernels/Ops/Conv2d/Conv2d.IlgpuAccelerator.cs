using GpuCnn.Kernels.Ops;
using ILGPU;

namespace GpuCnn.Kernels.Ilgpu
{
    // The ILGPU backend's 2-d convolution: implicit GEMM throughout (Conv2dIlgpuKernels), the bias fused into the
    // forward's store; the weight gradient splits its long reduction over N*P*Q into partials when the product alone
    // would leave the device's multiprocessors idle.
    public sealed partial class IlgpuAccelerator
    {
        /// <inheritdoc />
        protected override void Conv2dForwardCore(
            in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y) =>
            LaunchGrouped(Conv2dIlgpuKernels.Forward, TileGrid(g.N * g.P * g.Q, g.KPerGroup, g.Groups), View(x),
                View(w), ViewOrEmpty(b), View(y), new Conv2dSizes(g, hasBias: b is not null));

        /// <inheritdoc />
        protected override void Conv2dBackwardDataCore(
            in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx) =>
            LaunchGrouped(Conv2dIlgpuKernels.BackwardData, TileGrid(g.N * g.H * g.W, g.CPerGroup, g.Groups), View(dy),
                View(w), View(dx), new Conv2dSizes(g));

        /// <inheritdoc />
        protected override void Conv2dBackwardFilterCore(
            in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
        {
            // The product is small (K/G x C/G*R*S) and its reduction long (N*P*Q): split the reduction until the grid
            // has a few groups per multiprocessor, each split at least eight slices deep (the rule of the OpenCL path).
            int rows = g.KPerGroup, columns = g.CPerGroup * g.R * g.S, depth = g.N * g.P * g.Q;
            var tiles = (long)Groups(rows, IlgpuGemmTile.Tile) * Groups(columns, IlgpuGemmTile.Tile) * g.Groups;
            var wanted = (4L * Multiprocessors + tiles - 1) / tiles;
            var splits = (int)Math.Clamp(wanted, 1, Groups(depth, 8 * IlgpuGemmTile.Depth));
            var chunk = Groups(Groups(depth, splits), IlgpuGemmTile.Depth) * IlgpuGemmTile.Depth;
            splits = Groups(depth, chunk);
            var weights = View(dw).SubView(0, g.WeightLength);
            var target = splits == 1 ? weights : Scratch((long)splits * g.WeightLength);
            LaunchGrouped(Conv2dIlgpuKernels.BackwardFilter, TileGrid(columns, rows, g.Groups * splits), View(x),
                View(dy), target, new Conv2dSizes(g, splits: splits, chunk: chunk));
            if (splits > 1)
            {
                Launch(Conv2dIlgpuKernels.SumPartials, g.WeightLength, target, weights, splits);
            }

            if (db is not null)
            {
                BiasAddBackwardCore(dy, db, g.N, g.K, g.P * g.Q);
            }
        }
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>A <see cref="Conv2dGeometry"/> as a kernel argument, with the launch's options: whether a bias is
    /// added, and into how many ranges of <see cref="Chunk"/> the weight gradient's reduction is split.</summary>
    internal readonly struct Conv2dSizes(in Conv2dGeometry g, bool hasBias = false, int splits = 1, int chunk = 0)
    {
        public readonly int N = g.N, C = g.C, H = g.H, W = g.W, K = g.K, R = g.R, S = g.S;
        public readonly int StrideH = g.StrideH, StrideW = g.StrideW, PadTop = g.PadTop, PadLeft = g.PadLeft;
        public readonly int DilationH = g.DilationH, DilationW = g.DilationW, Groups = g.Groups, P = g.P, Q = g.Q;
        public readonly int HasBias = hasBias ? 1 : 0, Splits = splits, Chunk = chunk;

        public int KPerGroup => K / Groups;

        public int CPerGroup => C / Groups;
    }

    /// <summary>
    /// Convolution on ILGPU as implicit GEMM (the structure of Conv2d.cl): the tiled product of
    /// <see cref="IlgpuGemmTile"/> with operand loaders that gather the im2col matrix (or its transpose for the data
    /// gradient) straight from x or dy with zero padding; it is never stored. Images are batched into the product's
    /// columns and groups run as the grid's z dimension. Shapes: x:(N,C,H,W) w:(K,C/G,R,S) y:(N,K,P,Q).
    /// </summary>
    internal static class Conv2dIlgpuKernels
    {
        // y[n, g*Kg + m, p, q] = sum over rows of w[g*Kg + m, row] * col[row, (n, p, q)] (+ b): M = K/G, columns =
        // N*P*Q, reduction = C/G*R*S. Grid: (column tiles, row tiles, groups).
        public static void Forward(ArrayView<float> x, ArrayView<float> w, ArrayView<float> b, ArrayView<float> y,
            Conv2dSizes s)
        {
            var sharedA = SharedMemory.Allocate<float>(IlgpuGemmTile.SharedLength);
            var sharedB = SharedMemory.Allocate<float>(IlgpuGemmTile.SharedLength);
            int g = Grid.IdxZ, kg = s.KPerGroup, cg = s.CPerGroup, crs = cg * s.R * s.S;
            var columns = s.N * s.P * s.Q;
            var acc = IlgpuGemmTile.Accumulate(new Weights(w, g * kg, crs), new Columns(x, s, g * cg), sharedA,
                sharedB, kg, columns, 0, crs, aKFast: true, bKFast: false);
            IlgpuGemmTile.Store(new Output(y, b, s, g * kg), acc, kg, columns);
        }

        // dx[n, g*Cg + m, h, w] += sum over (k, r, s) of w[g*Kg + k, m, r, s] * dy[n, g*Kg + k, p, q] where
        // h = p*sh - pt + r*dh (w likewise): a gather, so every dx element has one writer and needs no atomics.
        // M = C/G, columns = N*H*W, reduction = K/G*R*S. Grid: (column tiles, row tiles, groups).
        public static void BackwardData(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv2dSizes s)
        {
            var sharedA = SharedMemory.Allocate<float>(IlgpuGemmTile.SharedLength);
            var sharedB = SharedMemory.Allocate<float>(IlgpuGemmTile.SharedLength);
            int g = Grid.IdxZ, kg = s.KPerGroup, cg = s.CPerGroup;
            var columns = s.N * s.H * s.W;
            var acc = IlgpuGemmTile.Accumulate(new WeightsTransposed(w, g * kg, cg, s.R * s.S),
                new OutputGradients(dy, s, g * kg), sharedA, sharedB, cg, columns, 0, kg * s.R * s.S, aKFast: true,
                bKFast: false);
            IlgpuGemmTile.Store(new InputGradient(dx, s, g * cg), acc, cg, columns);
        }

        // dw[g*Kg + m, row] += sum over (n, p, q) of dy[n, g*Kg + m, p, q] * col[row, (n, p, q)]: M = K/G, columns =
        // C/G*R*S, reduction = N*P*Q, long while the output is small, so it is split into s.Splits ranges of s.Chunk
        // (grid z = group * splits + split). With one split the result adds into dw (the target) directly; otherwise
        // each split writes its own partial, target[split][...], and SumPartials adds them in order.
        public static void BackwardFilter(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> target,
            Conv2dSizes s)
        {
            var sharedA = SharedMemory.Allocate<float>(IlgpuGemmTile.SharedLength);
            var sharedB = SharedMemory.Allocate<float>(IlgpuGemmTile.SharedLength);
            int g = Grid.IdxZ / s.Splits, split = Grid.IdxZ % s.Splits;
            int kg = s.KPerGroup, cg = s.CPerGroup, crs = cg * s.R * s.S, pq = s.P * s.Q;
            var depth = s.N * pq;
            var begin = split * s.Chunk;
            var end = s.Splits == 1 ? depth : IntrinsicMath.Min(begin + s.Chunk, depth);
            var acc = IlgpuGemmTile.Accumulate(new OutputGradientRows(dy, s, g * kg),
                new ColumnsTransposed(x, s, g * cg), sharedA, sharedB, kg, crs, begin, end, aKFast: true,
                bKFast: true);
            var offset = s.Splits == 1 ? 0 : split * s.K * crs;
            IlgpuGemmTile.Store(new WeightGradient(target, offset, g * kg, crs, s.Splits == 1), acc, kg, crs);
        }

        // dw[i] += partials[0][i] + partials[1][i] + ... in split order, so the result does not depend on scheduling.
        public static void SumPartials(Index1D index, ArrayView<float> partials, ArrayView<float> dw, int splits)
        {
            int i = index, count = (int)dw.Length;
            if (i >= count)
            {
                return;
            }

            var sum = 0.0f;
            for (var split = 0; split < splits; split++)
            {
                sum += partials[split * count + i];
            }

            dw[i] += sum;
        }

        // col[(c*R + r)*S + s, (n*P + p)*Q + q] of the group's channels from cBase: the im2col matrix of all images.
        private static float Column(ArrayView<float> x, in Conv2dSizes s, int cBase, int row, int column)
        {
            int rs = s.R * s.S, pq = s.P * s.Q;
            int c = row / rs, r = (row - c * rs) / s.S, kw = row - c * rs - r * s.S;
            int n = column / pq, p = (column - n * pq) / s.Q, q = column - n * pq - p * s.Q;
            int ih = p * s.StrideH - s.PadTop + r * s.DilationH, iw = q * s.StrideW - s.PadLeft + kw * s.DilationW;
            return ih >= 0 && ih < s.H && iw >= 0 && iw < s.W ? x[((n * s.C + cBase + c) * s.H + ih) * s.W + iw] : 0.0f;
        }

        private readonly struct Weights(ArrayView<float> w, int kBase, int crs) : IIlgpuOperandA
        {
            public float Load(int m, int k) => w[(kBase + m) * crs + k];
        }

        private readonly struct Columns(ArrayView<float> x, Conv2dSizes s, int cBase) : IIlgpuOperandB
        {
            public float Load(int k, int n) => Column(x, s, cBase, k, n);
        }

        private readonly struct Output(ArrayView<float> y, ArrayView<float> b, Conv2dSizes s, int kBase)
            : IIlgpuTileSink
        {
            public void Store(int m, int n, float value)
            {
                var pq = s.P * s.Q;
                var image = n / pq;
                y[(image * s.K + kBase + m) * pq + n - image * pq] = s.HasBias != 0 ? value + b[kBase + m] : value;
            }
        }

        // op(A)[m, k] = w[g*Kg + k / RS, m, k % RS]: the group's weights with input and output channels swapped.
        private readonly struct WeightsTransposed(ArrayView<float> w, int kBase, int cg, int rs) : IIlgpuOperandA
        {
            public float Load(int m, int k) => w[((kBase + k / rs) * cg + m) * rs + k % rs];
        }

        // op(B)[(k, r, s), (n, h, w)] = dy[n, g*Kg + k, p, q] where the tap (r, s) of output (p, q) reads input (h, w).
        private readonly struct OutputGradients(ArrayView<float> dy, Conv2dSizes s, int kBase) : IIlgpuOperandB
        {
            public float Load(int row, int column)
            {
                int rs = s.R * s.S, hw = s.H * s.W;
                int k = row / rs, r = (row - k * rs) / s.S, kw = row - k * rs - r * s.S;
                int n = column / hw, h = (column - n * hw) / s.W, iw = column - n * hw - h * s.W;
                int ph = h + s.PadTop - r * s.DilationH, pw = iw + s.PadLeft - kw * s.DilationW;
                if (ph < 0 || pw < 0)
                {
                    return 0.0f;
                }

                int p = ph / s.StrideH, q = pw / s.StrideW;
                return p * s.StrideH == ph && q * s.StrideW == pw && p < s.P && q < s.Q
                    ? dy[((n * s.K + kBase + k) * s.P + p) * s.Q + q]
                    : 0.0f;
            }
        }

        private readonly struct InputGradient(ArrayView<float> dx, Conv2dSizes s, int cBase) : IIlgpuTileSink
        {
            public void Store(int m, int n, float value)
            {
                var hw = s.H * s.W;
                var image = n / hw;
                dx[(image * s.C + cBase + m) * hw + n - image * hw] += value;
            }
        }

        // op(A)[m, (n, p, q)] = dy[n, g*Kg + m, p, q].
        private readonly struct OutputGradientRows(ArrayView<float> dy, Conv2dSizes s, int kBase) : IIlgpuOperandA
        {
            public float Load(int m, int k)
            {
                var pq = s.P * s.Q;
                var image = k / pq;
                return dy[(image * s.K + kBase + m) * pq + k - image * pq];
            }
        }

        // op(B)[(n, p, q), row] = col[row, (n, p, q)].
        private readonly struct ColumnsTransposed(ArrayView<float> x, Conv2dSizes s, int cBase) : IIlgpuOperandB
        {
            public float Load(int k, int n) => Column(x, s, cBase, n, k);
        }

        private readonly struct WeightGradient(ArrayView<float> target, int offset, int kBase, int crs, bool adds)
            : IIlgpuTileSink
        {
            public void Store(int m, int n, float value)
            {
                var at = offset + (kBase + m) * crs + n;
                target[at] = adds ? target[at] + value : value;
            }
        }
    }
}
