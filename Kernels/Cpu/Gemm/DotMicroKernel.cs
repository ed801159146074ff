using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuCnn.Kernels.Cpu.Gemm;

/// <summary>
/// A x B^T as dot products, for A (m x k) and B (n x k) both row-major with a long k and a small m x n output,
/// the shape of a convolution's weight gradient (dY · colsᵀ). Both operands are read in place along k, so
/// nothing is packed; each 4 x 4 block of C keeps 16 vector accumulators and reduces them once at the end,
/// which only pays when k is long.
/// </summary>
internal static unsafe class DotMicroKernel
{
    /// <summary>Rows and columns of C per block.</summary>
    public const int Block = 4;

    /// <summary>C = alpha * A * B^T + beta * C over the whole (small) output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(
        int m, int n, int k, float alpha, float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc)
    {
        for (int i = 0; i < m; i += Block)
        {
            int rows = Math.Min(Block, m - i);
            for (int j = 0; j < n; j += Block)
            {
                int cols = Math.Min(Block, n - j);
                float* ai = a + i * lda, bj = b + j * ldb, cij = c + i * ldc + j;
                switch (rows)
                {
                    case 4: Cols<R4>(cols, k, alpha, ai, lda, bj, ldb, beta, cij, ldc); break;
                    case 3: Cols<R3>(cols, k, alpha, ai, lda, bj, ldb, beta, cij, ldc); break;
                    case 2: Cols<R2>(cols, k, alpha, ai, lda, bj, ldb, beta, cij, ldc); break;
                    default: Cols<R1>(cols, k, alpha, ai, lda, bj, ldb, beta, cij, ldc); break;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Cols<TRows>(
        int cols, int k, float alpha, float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc)
        where TRows : struct, IConstant
    {
        switch (cols)
        {
            case 4: Tile<TRows, R4>(k, alpha, a, lda, b, ldb, beta, c, ldc); break;
            case 3: Tile<TRows, R3>(k, alpha, a, lda, b, ldb, beta, c, ldc); break;
            case 2: Tile<TRows, R2>(k, alpha, a, lda, b, ldb, beta, c, ldc); break;
            default: Tile<TRows, R1>(k, alpha, a, lda, b, ldb, beta, c, ldc); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TRows, TCols>(
        int k, float alpha, float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc)
        where TRows : struct, IConstant
        where TCols : struct, IConstant
    {
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
        for (int p = 0; p < k; p += 16)
        {
            // The last chunk loads only the lanes inside k; masked-off lanes read as zero and add nothing.
            Vector512<float> mask = k - p >= 16
                ? Vector512<float>.AllBitsSet
                : Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(k - p)).AsSingle();
            Vector512<float> a0 = Load(a + p, mask);
            Vector512<float> a1 = TRows.Value > 1 ? Load(a + 1 * lda + p, mask) : default;
            Vector512<float> a2 = TRows.Value > 2 ? Load(a + 2 * lda + p, mask) : default;
            Vector512<float> a3 = TRows.Value > 3 ? Load(a + 3 * lda + p, mask) : default;

            Vector512<float> bj = Load(b + p, mask);
            s00 = Avx512F.FusedMultiplyAdd(a0, bj, s00);
            if (TRows.Value > 1) s10 = Avx512F.FusedMultiplyAdd(a1, bj, s10);
            if (TRows.Value > 2) s20 = Avx512F.FusedMultiplyAdd(a2, bj, s20);
            if (TRows.Value > 3) s30 = Avx512F.FusedMultiplyAdd(a3, bj, s30);

            if (TCols.Value > 1)
            {
                bj = Load(b + 1 * ldb + p, mask);
                s01 = Avx512F.FusedMultiplyAdd(a0, bj, s01);
                if (TRows.Value > 1) s11 = Avx512F.FusedMultiplyAdd(a1, bj, s11);
                if (TRows.Value > 2) s21 = Avx512F.FusedMultiplyAdd(a2, bj, s21);
                if (TRows.Value > 3) s31 = Avx512F.FusedMultiplyAdd(a3, bj, s31);
            }

            if (TCols.Value > 2)
            {
                bj = Load(b + 2 * ldb + p, mask);
                s02 = Avx512F.FusedMultiplyAdd(a0, bj, s02);
                if (TRows.Value > 1) s12 = Avx512F.FusedMultiplyAdd(a1, bj, s12);
                if (TRows.Value > 2) s22 = Avx512F.FusedMultiplyAdd(a2, bj, s22);
                if (TRows.Value > 3) s32 = Avx512F.FusedMultiplyAdd(a3, bj, s32);
            }

            if (TCols.Value > 3)
            {
                bj = Load(b + 3 * ldb + p, mask);
                s03 = Avx512F.FusedMultiplyAdd(a0, bj, s03);
                if (TRows.Value > 1) s13 = Avx512F.FusedMultiplyAdd(a1, bj, s13);
                if (TRows.Value > 2) s23 = Avx512F.FusedMultiplyAdd(a2, bj, s23);
                if (TRows.Value > 3) s33 = Avx512F.FusedMultiplyAdd(a3, bj, s33);
            }
        }

        Put(c + 0 * ldc + 0, s00, alpha, beta);
        if (TCols.Value > 1) Put(c + 0 * ldc + 1, s01, alpha, beta);
        if (TCols.Value > 2) Put(c + 0 * ldc + 2, s02, alpha, beta);
        if (TCols.Value > 3) Put(c + 0 * ldc + 3, s03, alpha, beta);
        if (TRows.Value > 1) Put(c + 1 * ldc + 0, s10, alpha, beta);
        if (TRows.Value > 1 && TCols.Value > 1) Put(c + 1 * ldc + 1, s11, alpha, beta);
        if (TRows.Value > 1 && TCols.Value > 2) Put(c + 1 * ldc + 2, s12, alpha, beta);
        if (TRows.Value > 1 && TCols.Value > 3) Put(c + 1 * ldc + 3, s13, alpha, beta);
        if (TRows.Value > 2) Put(c + 2 * ldc + 0, s20, alpha, beta);
        if (TRows.Value > 2 && TCols.Value > 1) Put(c + 2 * ldc + 1, s21, alpha, beta);
        if (TRows.Value > 2 && TCols.Value > 2) Put(c + 2 * ldc + 2, s22, alpha, beta);
        if (TRows.Value > 2 && TCols.Value > 3) Put(c + 2 * ldc + 3, s23, alpha, beta);
        if (TRows.Value > 3) Put(c + 3 * ldc + 0, s30, alpha, beta);
        if (TRows.Value > 3 && TCols.Value > 1) Put(c + 3 * ldc + 1, s31, alpha, beta);
        if (TRows.Value > 3 && TCols.Value > 2) Put(c + 3 * ldc + 2, s32, alpha, beta);
        if (TRows.Value > 3 && TCols.Value > 3) Put(c + 3 * ldc + 3, s33, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load(float* p, Vector512<float> mask) =>
        Avx512F.MaskLoad(p, mask, Vector512<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* c, Vector512<float> sum, float alpha, float beta)
    {
        float v = alpha * Vector512.Sum(sum);
        *c = beta == 0f ? v : v + beta * *c;
    }
}
