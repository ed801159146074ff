using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuCnn.Kernels.Cpu.Gemm;

/// <summary>
/// Copies blocks of op(A) and op(B) into the layouts the micro-kernels stream: A as strips of <c>mr</c> rows,
/// k-major (A(i, p) at strip[p * mr + i]), B as strips of <c>nr</c> columns, k-major (B(p, j) at
/// strip[p * nr + j]), zero padded to the full strip width so kernels never branch on the edge inside the k loop.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs the mc x kc block of op(A) whose top-left element is at <paramref name="a"/> into strips of
    /// <paramref name="mr"/> rows; strip s starts at dst + s * mr * kc. Edge strips are not padded: the kernels
    /// for short tiles read only their rows.
    /// </summary>
    public static void PackA(bool transA, float* a, nint lda, int mc, int kc, int mr, float* dst)
    {
        for (int s = 0; s < mc; s += mr)
        {
            int rows = Math.Min(mr, mc - s);
            float* d = dst + (nint)s * kc;
            if (transA)
            {
                // op(A)(i, p) = a[p * lda + i]: each k step is already a contiguous run of the strip's rows.
                CopyRuns(a + s, lda, d, mr, rows, kc);
            }
            else
            {
                // op(A)(i, p) = a[i * lda + p]: a transpose; read rows contiguously, write with stride mr.
                for (int i = 0; i < rows; i++)
                {
                    float* src = a + (s + i) * lda;
                    float* col = d + i;
                    for (int p = 0; p < kc; p++) col[p * mr] = src[p];
                }
            }
        }
    }

    /// <summary>
    /// Packs the kc x nc block of op(B) whose top-left element is at <paramref name="b"/> into strips of
    /// <paramref name="nr"/> columns; strip s starts at dst + s * nr * kc, and columns past nc are zero.
    /// </summary>
    public static void PackB(bool transB, float* b, nint ldb, int kc, int nc, int nr, float* dst)
    {
        for (int s = 0; s < nc; s += nr)
        {
            int cols = Math.Min(nr, nc - s);
            float* d = dst + (nint)s * kc;
            if (!transB)
            {
                // op(B)(p, j) = b[p * ldb + j]: rows of the strip are contiguous runs of B.
                CopyRuns(b + s, ldb, d, nr, cols, kc);
                if (cols < nr) ZeroTail(d, nr, cols, kc);
            }
            else
            {
                // op(B)(p, j) = b[j * ldb + p]: a transpose; read B rows contiguously, write with stride nr.
                if (cols < nr) ZeroTail(d, nr, cols, kc);
                for (int j = 0; j < cols; j++)
                {
                    float* src = b + (s + j) * ldb;
                    float* col = d + j;
                    for (int p = 0; p < kc; p++) col[p * nr] = src[p];
                }
            }
        }
    }

    /// <summary>Copies <paramref name="count"/> runs of <paramref name="len"/> floats between strided rows.</summary>
    private static void CopyRuns(float* src, nint srcStride, float* dst, int dstStride, int len, int count)
    {
        if (Avx512F.IsSupported && len <= 32)
        {
            // Masked loads never touch memory past the run, so the last row of a matrix is safe to read.
            Vector512<float> m0 = LaneMask(len);
            Vector512<float> m1 = LaneMask(len - 16);
            for (int p = 0; p < count; p++)
            {
                float* s = src + p * srcStride;
                float* d = dst + p * dstStride;
                Avx512F.MaskStore(d, m0, Avx512F.MaskLoad(s, m0, Vector512<float>.Zero));
                if (len > 16) Avx512F.MaskStore(d + 16, m1, Avx512F.MaskLoad(s + 16, m1, Vector512<float>.Zero));
            }

            return;
        }

        for (int p = 0; p < count; p++)
        {
            new ReadOnlySpan<float>(src + p * srcStride, len).CopyTo(new Span<float>(dst + p * dstStride, len));
        }
    }

    private static void ZeroTail(float* dst, int stride, int from, int count)
    {
        for (int p = 0; p < count; p++) new Span<float>(dst + p * stride + from, stride - from).Clear();
    }

    private static Vector512<float> LaneMask(int lanes) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle();
}
