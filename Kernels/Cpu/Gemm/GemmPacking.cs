using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuCnn.Kernels.Cpu.Gemm;

/// <summary>
/// Copies blocks of op(A) and op(B) into the layouts the micro-kernels stream: A as strips of up to <c>mr</c>
/// rows, k-major (A(i, p) at strip[p * rows + i]), B as strips of <c>nr</c> columns, k-major (B(p, j) at
/// strip[p * nr + j]), zero padded to the full strip width so kernels never branch on the edge inside the k loop.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs the mc x kc block of op(A) whose top-left element is at <paramref name="a"/> into strips cut by
    /// <see cref="StripRows"/>; the strip starting at row s holds its r rows at dst + s * kc, densely
    /// (A(s + i, p) at [p * r + i]), so a kernel reads it with aStep = r.
    /// </summary>
    public static void PackA(bool transA, float* a, nint lda, int mc, int kc, int mr, float* dst)
    {
        for (int s = 0; s < mc;)
        {
            int rows = StripRows(mc - s, mr);
            float* d = dst + (nint)s * kc;
            if (transA)
            {
                // op(A)(i, p) = a[p * lda + i]: each k step is already a contiguous run of the strip's rows.
                CopyRuns(a + s, lda, d, rows, rows, kc);
            }
            else
            {
                // op(A)(i, p) = a[i * lda + p]: the strip is a transpose of rows of A.
                Transpose(a + s * lda, lda, rows, kc, d, rows);
            }

            s += rows;
        }
    }

    /// <summary>
    /// Height of the next row strip when <paramref name="remaining"/> rows are left: full <paramref name="mr"/>
    /// strips, except that the last two share the rows evenly (16 rows run as 8 + 8, not 14 + 2: a 2-row tile has
    /// too few accumulators to hide FMA latency and wastes most of its loads).
    /// </summary>
    public static int StripRows(int remaining, int mr) =>
        remaining >= 2 * mr || remaining <= mr ? Math.Min(mr, remaining) : (remaining + 1) / 2;

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
                // op(B)(p, j) = b[j * ldb + p]: the strip is a transpose of rows of B.
                if (cols < nr) ZeroTail(d, nr, cols, kc);
                Transpose(b + s * ldb, ldb, cols, kc, d, nr);
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

    /// <summary>
    /// dst[p * dstStride + r] = src[r * srcStride + p] for r &lt; rows, p &lt; len. Blocks of 8 x 8 are transposed
    /// in registers (a scalar transpose costs a load and a store per element, the dominant cost of small GEMMs
    /// that pack a transposed operand); only the ragged k tail goes element by element.
    /// </summary>
    private static void Transpose(float* src, nint srcStride, int rows, int len, float* dst, int dstStride)
    {
        int vecLen = Avx512F.VL.IsSupported ? len / 8 * 8 : 0;
        for (int r0 = 0; r0 < rows; r0 += 8)
        {
            int lanes = Math.Min(8, rows - r0);
            float* s = src + r0 * srcStride;
            float* d = dst + r0;
            if (vecLen > 0)
            {
                Transpose8Rows(s, srcStride, lanes, vecLen, d, dstStride);
            }

            for (int r = 0; r < lanes; r++)
            {
                for (int p = vecLen; p < len; p++) d[p * dstStride + r] = s[r * srcStride + p];
            }
        }
    }

    /// <summary>Transposes up to 8 rows by <paramref name="len"/> (a multiple of 8) columns.</summary>
    private static void Transpose8Rows(float* s, nint srcStride, int lanes, int len, float* d, int dstStride)
    {
        // Rows past `lanes` are not read (they may lie past the matrix); they transpose as zeros and are masked
        // off at the store.
        Vector256<float> mask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(lanes)).AsSingle();
        bool full = lanes == 8;
        for (int p = 0; p < len; p += 8)
        {
            float* sp = s + p;
            Vector256<float> r0 = Vector256.Load(sp);
            Vector256<float> r1 = lanes > 1 ? Vector256.Load(sp + srcStride) : default;
            Vector256<float> r2 = lanes > 2 ? Vector256.Load(sp + 2 * srcStride) : default;
            Vector256<float> r3 = lanes > 3 ? Vector256.Load(sp + 3 * srcStride) : default;
            Vector256<float> r4 = lanes > 4 ? Vector256.Load(sp + 4 * srcStride) : default;
            Vector256<float> r5 = lanes > 5 ? Vector256.Load(sp + 5 * srcStride) : default;
            Vector256<float> r6 = lanes > 6 ? Vector256.Load(sp + 6 * srcStride) : default;
            Vector256<float> r7 = lanes > 7 ? Vector256.Load(sp + 7 * srcStride) : default;

            // Interleave pairs of rows, then pairs of pairs; each 128-bit half then holds 4 rows of one column,
            // and the final lane swap joins the halves into whole 8-row columns.
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
            Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
            Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
            Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
            Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
            float* dp = d + p * dstStride;
            Store(dp, Avx.Permute2x128(u0, u4, 0x20), full, mask);
            Store(dp + dstStride, Avx.Permute2x128(u1, u5, 0x20), full, mask);
            Store(dp + 2 * dstStride, Avx.Permute2x128(u2, u6, 0x20), full, mask);
            Store(dp + 3 * dstStride, Avx.Permute2x128(u3, u7, 0x20), full, mask);
            Store(dp + 4 * dstStride, Avx.Permute2x128(u0, u4, 0x31), full, mask);
            Store(dp + 5 * dstStride, Avx.Permute2x128(u1, u5, 0x31), full, mask);
            Store(dp + 6 * dstStride, Avx.Permute2x128(u2, u6, 0x31), full, mask);
            Store(dp + 7 * dstStride, Avx.Permute2x128(u3, u7, 0x31), full, mask);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* p, Vector256<float> v, bool full, Vector256<float> mask)
    {
        if (full) v.Store(p);
        else Avx512F.VL.MaskStore(p, mask, v);
    }

    private static void ZeroTail(float* dst, int stride, int from, int count)
    {
        for (int p = 0; p < count; p++) new Span<float>(dst + p * stride + from, stride - from).Clear();
    }

    private static Vector512<float> LaneMask(int lanes) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle();
}
