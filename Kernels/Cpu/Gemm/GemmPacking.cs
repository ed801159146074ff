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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(float* src, nint srcStride, int rows, int len, float* dst, int dstStride)
    {
        if (Avx512F.IsSupported && len >= 16)
        {
            // Whole 16 x 16 blocks in zmm registers first (a third fewer shuffles per element than 8 x 8).
            int len16 = len / 16 * 16;
            for (int r0 = 0; r0 < rows; r0 += 16)
            {
                Transpose16Rows(src + r0 * srcStride, srcStride, Math.Min(16, rows - r0), len16, dst + r0, dstStride);
            }

            src += len16;
            dst += len16 * dstStride;
            len -= len16;
        }

        int vecLen = Avx2.IsSupported ? len / 8 * 8 : 0;
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

    /// <summary>Transposes up to 16 rows by <paramref name="len"/> (a multiple of 16) columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose16Rows(float* s, nint srcStride, int lanes, int len, float* d, int dstStride)
    {
        Vector512<float> mask = LaneMask(lanes);
        bool full = lanes == 16;
        for (int p = 0; p < len; p += 16)
        {
            float* sp = s + p;
            Vector512<float> r0 = Vector512.Load(sp);
            Vector512<float> r1 = lanes > 1 ? Vector512.Load(sp + srcStride) : default;
            Vector512<float> r2 = lanes > 2 ? Vector512.Load(sp + 2 * srcStride) : default;
            Vector512<float> r3 = lanes > 3 ? Vector512.Load(sp + 3 * srcStride) : default;
            Vector512<float> r4 = lanes > 4 ? Vector512.Load(sp + 4 * srcStride) : default;
            Vector512<float> r5 = lanes > 5 ? Vector512.Load(sp + 5 * srcStride) : default;
            Vector512<float> r6 = lanes > 6 ? Vector512.Load(sp + 6 * srcStride) : default;
            Vector512<float> r7 = lanes > 7 ? Vector512.Load(sp + 7 * srcStride) : default;
            Vector512<float> r8 = lanes > 8 ? Vector512.Load(sp + 8 * srcStride) : default;
            Vector512<float> r9 = lanes > 9 ? Vector512.Load(sp + 9 * srcStride) : default;
            Vector512<float> r10 = lanes > 10 ? Vector512.Load(sp + 10 * srcStride) : default;
            Vector512<float> r11 = lanes > 11 ? Vector512.Load(sp + 11 * srcStride) : default;
            Vector512<float> r12 = lanes > 12 ? Vector512.Load(sp + 12 * srcStride) : default;
            Vector512<float> r13 = lanes > 13 ? Vector512.Load(sp + 13 * srcStride) : default;
            Vector512<float> r14 = lanes > 14 ? Vector512.Load(sp + 14 * srcStride) : default;
            Vector512<float> r15 = lanes > 15 ? Vector512.Load(sp + 15 * srcStride) : default;

            // After the 32- and 64-bit interleaves, 128-bit lane L of u[4g + c] holds column c + 4L of rows
            // 4g..4g+3; two rounds of 128-bit lane shuffles then gather each column's four row groups.
            Vector512<float> u0 = Quad(r0, r1, r2, r3, out Vector512<float> u1, out Vector512<float> u2,
                out Vector512<float> u3);
            Vector512<float> u4 = Quad(r4, r5, r6, r7, out Vector512<float> u5, out Vector512<float> u6,
                out Vector512<float> u7);
            Vector512<float> u8 = Quad(r8, r9, r10, r11, out Vector512<float> u9, out Vector512<float> u10,
                out Vector512<float> u11);
            Vector512<float> u12 = Quad(r12, r13, r14, r15, out Vector512<float> u13, out Vector512<float> u14,
                out Vector512<float> u15);
            float* dp = d + p * dstStride;
            Columns(dp, dstStride, u0, u4, u8, u12, full, mask);
            Columns(dp + dstStride, dstStride, u1, u5, u9, u13, full, mask);
            Columns(dp + 2 * dstStride, dstStride, u2, u6, u10, u14, full, mask);
            Columns(dp + 3 * dstStride, dstStride, u3, u7, u11, u15, full, mask);
        }
    }

    /// <summary>Interleaves four rows so that lane L of result c holds column c + 4L of the four rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quad(
        Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        out Vector512<float> col1, out Vector512<float> col2, out Vector512<float> col3)
    {
        Vector512<double> t0 = Avx512F.UnpackLow(a, b).AsDouble(), t1 = Avx512F.UnpackHigh(a, b).AsDouble();
        Vector512<double> t2 = Avx512F.UnpackLow(c, d).AsDouble(), t3 = Avx512F.UnpackHigh(c, d).AsDouble();
        col1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        col2 = Avx512F.UnpackLow(t1, t3).AsSingle();
        col3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
        return Avx512F.UnpackLow(t0, t2).AsSingle();
    }

    /// <summary>
    /// Given the four row groups of column set c (lane L = column c + 4L), stores columns c, c + 4, c + 8 and
    /// c + 12 to dst, dst + 4 * stride, dst + 8 * stride and dst + 12 * stride.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(
        float* dst, int stride, Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3,
        bool full, Vector512<float> mask)
    {
        Vector512<float> lo01 = Avx512F.Shuffle4x128(g0, g1, 0x44), hi01 = Avx512F.Shuffle4x128(g0, g1, 0xEE);
        Vector512<float> lo23 = Avx512F.Shuffle4x128(g2, g3, 0x44), hi23 = Avx512F.Shuffle4x128(g2, g3, 0xEE);
        Store(dst, Avx512F.Shuffle4x128(lo01, lo23, 0x88), full, mask);
        Store(dst + 4 * stride, Avx512F.Shuffle4x128(lo01, lo23, 0xDD), full, mask);
        Store(dst + 8 * stride, Avx512F.Shuffle4x128(hi01, hi23, 0x88), full, mask);
        Store(dst + 12 * stride, Avx512F.Shuffle4x128(hi01, hi23, 0xDD), full, mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* p, Vector512<float> v, bool full, Vector512<float> mask)
    {
        if (full) v.Store(p);
        else Avx512F.MaskStore(p, mask, v);
    }

    /// <summary>Transposes up to 8 rows by <paramref name="len"/> (a multiple of 8) columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        else if (Avx512F.VL.IsSupported) Avx512F.VL.MaskStore(p, mask, v);
        else Avx.MaskStore(p, mask, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ZeroTail(float* dst, int stride, int from, int count)
    {
        for (int p = 0; p < count; p++) new Span<float>(dst + p * stride + from, stride - from).Clear();
    }

    private static Vector512<float> LaneMask(int lanes) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle();
}
