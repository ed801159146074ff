using ILGPU;

namespace GpuCnn.Kernels.Ops;

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
