using GpuCnn.Kernels.Ops;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;

namespace GpuCnn.Kernels.Ilgpu
{
    // The ILGPU backend's bias addition of dense and convolution layers (its GEMM follows).
    public sealed partial class IlgpuAccelerator
    {
        /// <inheritdoc />
        protected override void BiasAddForwardCore(
            DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner) =>
            Launch(DenseIlgpuKernels.BiasAddForward, (long)outer * channels * inner, View(y), View(bias),
                new BiasSizes(outer, channels, inner));

        /// <inheritdoc />
        protected override void BiasAddBackwardCore(
            DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner)
        {
            var sizes = new BiasSizes(outer, channels, inner);
            if (inner == 1)
            {
                Launch(DenseIlgpuKernels.BiasBackwardRows, channels, View(dy), View(db), sizes);
                return;
            }

            LaunchGrouped(DenseIlgpuKernels.BiasBackwardPlanes, new KernelConfig(channels, MaxGroupSize), View(dy),
                View(db), sizes);
        }
    }

    /// <summary>The shape of a biased tensor, y:(Outer, Channels, Inner).</summary>
    internal readonly record struct BiasSizes(int Outer, int Channels, int Inner);

    /// <summary>Bias addition and its gradient.</summary>
    internal static class DenseIlgpuKernels
    {
        // y:(outer, channels, inner) += bias[c]; one thread per element.
        public static void BiasAddForward(Index1D i, ArrayView<float> y, ArrayView<float> bias, BiasSizes s) =>
            y[i] += bias[i / s.Inner % s.Channels];

        // db[c] += sum of dy[o, c] for a dense layer (inner = 1): one thread per channel walks the rows, so the
        // threads of a warp read adjacent channels of the same row.
        public static void BiasBackwardRows(Index1D c, ArrayView<float> dy, ArrayView<float> db, BiasSizes s)
        {
            var sum = 0f;
            for (var o = 0; o < s.Outer; o++)
            {
                sum += dy[o * s.Channels + c];
            }

            db[c] += sum;
        }

        // db[c] += sum of dy[o, c, i] over o and i for convolution planes: one group per channel, its threads
        // striding through each plane (coalesced) and reducing across the group.
        public static void BiasBackwardPlanes(ArrayView<float> dy, ArrayView<float> db, BiasSizes s)
        {
            var c = Grid.IdxX;
            var sum = 0f;
            for (var o = 0; o < s.Outer; o++)
            {
                var plane = (o * s.Channels + c) * s.Inner;
                for (var i = Group.IdxX; i < s.Inner; i += Group.DimX)
                {
                    sum += dy[plane + i];
                }
            }

            var total = GroupExtensions.Reduce<float, AddFloat>(sum);
            if (Group.IsFirstThread)
            {
                db[c] += total;
            }
        }
    }

    // The ILGPU backend's GEMM: the shared-memory tiled kernel of GemmIlgpuKernels.
    public sealed partial class IlgpuAccelerator
    {
        /// <inheritdoc />
        protected override void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a,
            DeviceBuffer b, float beta, DeviceBuffer c)
        {
            if (m == 0 || n == 0)
            {
                return;
            }

            LaunchGrouped(GemmIlgpuKernels.Gemm, TileGrid(n, m, 1), View(a), View(b), View(c),
                new GemmSizes(m, n, k, alpha, beta, transA, transB));
        }

        /// <summary>The launch of a tiled product (<see cref="IlgpuGemmTile"/>) of C:(rows, columns), with
        /// <paramref name="depth"/> independent products along the grid's z dimension.</summary>
        private static KernelConfig TileGrid(int columns, int rows, int depth) => new(
            new Index3D(Groups(columns, IlgpuGemmTile.Tile), Groups(rows, IlgpuGemmTile.Tile), depth),
            new Index3D(IlgpuGemmTile.Threads, IlgpuGemmTile.Threads, 1));
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>Sizes of C = alpha * op(A) * op(B) + beta * C, row-major; op(A):(M,K) op(B):(K,N) C:(M,N). A transposed
    /// operand (flag 1) is stored as its transpose.</summary>
    internal readonly struct GemmSizes(int m, int n, int k, float alpha, float beta, bool transA, bool transB)
    {
        public readonly int M = m;
        public readonly int N = n;
        public readonly int K = k;
        public readonly float Alpha = alpha;
        public readonly float Beta = beta;
        public readonly int TransA = transA ? 1 : 0;
        public readonly int TransB = transB ? 1 : 0;
    }

    /// <summary>GEMM on ILGPU: one group of 16x16 threads per 64x64 tile of C (see <see cref="IlgpuGemmTile"/>), on a
    /// grid of (ceil(N/64), ceil(M/64)) groups.</summary>
    internal static class GemmIlgpuKernels
    {
        // C = alpha * op(A) * op(B) + beta * C. a:(M,K) or (K,M) b:(K,N) or (N,K) c:(M,N).
        public static void Gemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmSizes s)
        {
            var sharedA = SharedMemory.Allocate<float>(IlgpuGemmTile.SharedLength);
            var sharedB = SharedMemory.Allocate<float>(IlgpuGemmTile.SharedLength);
            bool transA = s.TransA != 0, transB = s.TransB != 0;
            var acc = IlgpuGemmTile.Accumulate(new MatrixA(a, s.M, s.K, transA), new MatrixB(b, s.N, s.K, transB),
                sharedA, sharedB, s.M, s.N, 0, s.K, aKFast: !transA, bKFast: transB);
            IlgpuGemmTile.Store(new MatrixC(c, s.N, s.Alpha, s.Beta), acc, s.M, s.N);
        }

        private readonly struct MatrixA(ArrayView<float> a, int m, int k, bool transposed) : IIlgpuOperandA
        {
            public float Load(int row, int depth) => transposed ? a[depth * m + row] : a[row * k + depth];
        }

        private readonly struct MatrixB(ArrayView<float> b, int n, int k, bool transposed) : IIlgpuOperandB
        {
            public float Load(int depth, int column) => transposed ? b[column * k + depth] : b[depth * n + column];
        }

        // beta == 0 overwrites C without reading it, so NaN or garbage in C does not leak through (BLAS semantics).
        private readonly struct MatrixC(ArrayView<float> c, int n, float alpha, float beta) : IIlgpuTileSink
        {
            public void Store(int row, int column, float value)
            {
                var at = row * n + column;
                c[at] = beta == 0.0f ? alpha * value : alpha * value + beta * c[at];
            }
        }
    }

    /// <summary>op(A)[m, k] of a tiled product: a plain matrix for GEMM, a gather from the weights or the output
    /// gradient for the convolutions. Called only with m and k inside the product.</summary>
    internal interface IIlgpuOperandA
    {
        float Load(int m, int k);
    }

    /// <summary>op(B)[k, n] of a tiled product: a plain matrix for GEMM, the never-stored im2col matrix for the
    /// convolutions. Called only with k and n inside the product.</summary>
    internal interface IIlgpuOperandB
    {
        float Load(int k, int n);
    }

    /// <summary>Where a tiled product's results go: C[m, n] = value for GEMM, an output pixel or a weight gradient
    /// for the convolutions. Called only with m and n inside the product.</summary>
    internal interface IIlgpuTileSink
    {
        void Store(int m, int n, float value);
    }

    /// <summary>The 4x4 outputs one thread accumulates: rows ty + 16i, columns tx + 16j of its group's 64x64 tile.
    /// Sixteen named fields rather than an array, so that they stay in registers (a local array would be spilled
    /// to local memory by a dynamic index).</summary>
    internal struct IlgpuTile4x4
    {
        public float C00, C01, C02, C03, C10, C11, C12, C13, C20, C21, C22, C23, C30, C31, C32, C33;
    }

    /// <summary>
    /// The shared-memory tiled product behind GEMM and the implicit-GEMM convolutions on ILGPU: a group of 16x16
    /// threads computes a 64x64 tile of C = op(A) op(B), each thread a 4x4 register block; the reduction runs in
    /// 16-deep slices that the whole group stages in shared memory (each thread loads 4 elements of A and 4 of B,
    /// out-of-range ones as zero), separated by barriers. The caller's grid is (column tiles, row tiles, any z).
    /// </summary>
    internal static class IlgpuGemmTile
    {
        /// <summary>Rows and columns of C per group.</summary>
        public const int Tile = 64;

        /// <summary>Threads per group along x and along y.</summary>
        public const int Threads = 16;

        /// <summary>Reduction depth staged in shared memory per step.</summary>
        public const int Depth = 16;

        // A shared row holds 64 values and one pad, so that the stores of a k-fast load (lanes 65 floats apart)
        // fall in different banks.
        private const int Stride = Tile + 1;

        /// <summary>Floats of one shared operand slice.</summary>
        public const int SharedLength = Depth * Stride;

        /// <summary>Threads per group.</summary>
        public const int GroupSize = Threads * Threads;

        /// <summary>The group's tile of op(A) op(B) over the reduction range [kBegin, kEnd), for C:(rows, columns).
        /// kFast says which index of an operand is contiguous in memory, so that neighbouring lanes load neighbouring
        /// addresses. Every thread of the group must call this (it holds barriers).</summary>
        public static IlgpuTile4x4 Accumulate<TA, TB>(TA a, TB b, ArrayView<float> sharedA, ArrayView<float> sharedB,
            int rows, int columns, int kBegin, int kEnd, bool aKFast, bool bKFast)
            where TA : struct, IIlgpuOperandA
            where TB : struct, IIlgpuOperandB
        {
            int tx = Group.IdxX, ty = Group.IdxY, lane = ty * Threads + tx;
            int row0 = Grid.IdxY * Tile, column0 = Grid.IdxX * Tile;
            var acc = default(IlgpuTile4x4);
            for (var k0 = kBegin; k0 < kEnd; k0 += Depth)
            {
                for (var load = 0; load < Tile * Depth / GroupSize; load++)
                {
                    var e = lane + load * GroupSize;
                    int m = aKFast ? e / Depth : e % Tile, ka = aKFast ? e % Depth : e / Tile;
                    int gm = row0 + m, gka = k0 + ka;
                    sharedA[ka * Stride + m] = gm < rows && gka < kEnd ? a.Load(gm, gka) : 0.0f;
                    int n = bKFast ? e / Depth : e % Tile, kb = bKFast ? e % Depth : e / Tile;
                    int gn = column0 + n, gkb = k0 + kb;
                    sharedB[kb * Stride + n] = gn < columns && gkb < kEnd ? b.Load(gkb, gn) : 0.0f;
                }

                Group.Barrier();
                for (var k = 0; k < Depth; k++)
                {
                    var ak = k * Stride + ty;
                    var bk = k * Stride + tx;
                    float a0 = sharedA[ak], a1 = sharedA[ak + Threads], a2 = sharedA[ak + 2 * Threads],
                        a3 = sharedA[ak + 3 * Threads];
                    float b0 = sharedB[bk], b1 = sharedB[bk + Threads], b2 = sharedB[bk + 2 * Threads],
                        b3 = sharedB[bk + 3 * Threads];
                    acc.C00 += a0 * b0;
                    acc.C01 += a0 * b1;
                    acc.C02 += a0 * b2;
                    acc.C03 += a0 * b3;
                    acc.C10 += a1 * b0;
                    acc.C11 += a1 * b1;
                    acc.C12 += a1 * b2;
                    acc.C13 += a1 * b3;
                    acc.C20 += a2 * b0;
                    acc.C21 += a2 * b1;
                    acc.C22 += a2 * b2;
                    acc.C23 += a2 * b3;
                    acc.C30 += a3 * b0;
                    acc.C31 += a3 * b1;
                    acc.C32 += a3 * b2;
                    acc.C33 += a3 * b3;
                }

                Group.Barrier();
            }

            return acc;
        }

        /// <summary>Hands each of this thread's 16 results that lies inside C:(rows, columns) to the sink, written
        /// out register by register so that no index into the block is dynamic.</summary>
        public static void Store<TS>(TS sink, IlgpuTile4x4 t, int rows, int columns)
            where TS : struct, IIlgpuTileSink
        {
            int r0 = Grid.IdxY * Tile + Group.IdxY, c0 = Grid.IdxX * Tile + Group.IdxX;
            int r1 = r0 + Threads, r2 = r0 + 2 * Threads, r3 = r0 + 3 * Threads;
            int c1 = c0 + Threads, c2 = c0 + 2 * Threads, c3 = c0 + 3 * Threads;
            Put(sink, r0, c0, t.C00, rows, columns);
            Put(sink, r0, c1, t.C01, rows, columns);
            Put(sink, r0, c2, t.C02, rows, columns);
            Put(sink, r0, c3, t.C03, rows, columns);
            Put(sink, r1, c0, t.C10, rows, columns);
            Put(sink, r1, c1, t.C11, rows, columns);
            Put(sink, r1, c2, t.C12, rows, columns);
            Put(sink, r1, c3, t.C13, rows, columns);
            Put(sink, r2, c0, t.C20, rows, columns);
            Put(sink, r2, c1, t.C21, rows, columns);
            Put(sink, r2, c2, t.C22, rows, columns);
            Put(sink, r2, c3, t.C23, rows, columns);
            Put(sink, r3, c0, t.C30, rows, columns);
            Put(sink, r3, c1, t.C31, rows, columns);
            Put(sink, r3, c2, t.C32, rows, columns);
            Put(sink, r3, c3, t.C33, rows, columns);
        }

        private static void Put<TS>(TS sink, int m, int n, float value, int rows, int columns)
            where TS : struct, IIlgpuTileSink
        {
            if (m < rows && n < columns)
            {
                sink.Store(m, n, value);
            }
        }
    }
}
