using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuCnn.Kernels.Cpu.Gemm;

/// <summary>
/// The AVX-512 register tile: up to 14 rows by 32 columns of C held in 28 zmm accumulators, leaving three of the
/// 32 registers for two rows of B and one broadcast of A. Each step of k issues 28 FMAs against 2 vector loads
/// and 14 broadcasts, enough to keep both FMA pipes busy from L1.
/// </summary>
internal static unsafe class Avx512MicroKernel
{
    /// <summary>Rows of C per full tile.</summary>
    public const int Mr = 14;

    /// <summary>Columns of C per full tile (two 16-lane vectors).</summary>
    public const int Nr = 32;

    /// <summary>
    /// How many k steps ahead the loop prefetches its A and B rows. With kc ~1000 a B strip (128 KiB) and an A
    /// strip (56 KiB) do not fit the 48 KiB L1 together, so both stream from L2 and the hardware prefetchers
    /// alone left the FMA pipes waiting; 16 steps (~200 cycles) measured best of 4 / 8 / 16 / 24 / 32 at
    /// n = 512-2048 on two cores (8 steps ~5 %, 16 another ~3-10 % over none).
    /// </summary>
    private const int PrefetchSteps = 16;

    /// <summary>The shallowest k loop that prefetches (see <see cref="Tile"/>).</summary>
    private const int PrefetchMinK = 256;

    /// <summary>
    /// One tile: C[0..rows, 0..nr) = alpha * A * B + beta * C, where rows = <typeparamref name="TRows"/> and
    /// nr &lt;= 16 * <typeparamref name="TVecs"/>. A(i, p) is a[p * aStep + i]; B(p, j) is b[p * bStep + j]; with
    /// <typeparamref name="TMaskB"/> = 1 only the nr columns of each B row are read, otherwise all 16 * TVecs
    /// (packed strips are zero padded). beta == 0 never reads C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TRows, TVecs, TMaskB>(
        int kc, float* a, nint aStep, float* b, nint bStep, float* c, nint ldc, float alpha, float beta, int nr)
        where TRows : struct, IConstant
        where TVecs : struct, IConstant
        where TMaskB : struct, IConstant
    {
        bool two = TVecs.Value == 2;

        // With TMaskB the last vector of each B row is loaded under a mask of the live columns, so a ragged strip
        // can be read in place from B itself: masked-off lanes are never touched (no fault past the matrix) and
        // read as zero. NOTE: a mask live across the loop takes the 32nd register and spills an accumulator on
        // every step (~8% at 2048^3), so full-width tiles build it only after the loop, for the stores.
        bool maskB = TMaskB.Value != 0;
        int lastLanes = two ? nr - 16 : nr;
        Vector512<float> mask = maskB ? LaneMask(lastLanes) : default;
        Vector512<float> c0x0 = default, c0x1 = default;
        Vector512<float> c1x0 = default, c1x1 = default;
        Vector512<float> c2x0 = default, c2x1 = default;
        Vector512<float> c3x0 = default, c3x1 = default;
        Vector512<float> c4x0 = default, c4x1 = default;
        Vector512<float> c5x0 = default, c5x1 = default;
        Vector512<float> c6x0 = default, c6x1 = default;
        Vector512<float> c7x0 = default, c7x1 = default;
        Vector512<float> c8x0 = default, c8x1 = default;
        Vector512<float> c9x0 = default, c9x1 = default;
        Vector512<float> c10x0 = default, c10x1 = default;
        Vector512<float> c11x0 = default, c11x1 = default;
        Vector512<float> c12x0 = default, c12x1 = default;
        Vector512<float> c13x0 = default, c13x1 = default;
        // The C tile is read (beta != 0) or written only after the k loop; asking for its lines now hides their
        // miss behind the loop instead of stalling the stores (measured 2-5 % at n = 512-2048).
        // NOTE: only deep tiles prefetch. Below kc = 256 the strips nearly fit L1, and with a short k loop the C
        // tile's lines, prefetched for reading, then need a second request for ownership before the stores: a
        // 576 x 1024 x 64 product (a convolution's data gradient) ran ~9 % slower with the prefetches.
        bool prefetch = kc >= PrefetchMinK;
        nint pfb = PrefetchSteps * bStep, pfa = PrefetchSteps * aStep;
        for (int r = 0; prefetch && r < TRows.Value; r++)
        {
            Sse.Prefetch0(c + r * ldc);
            Sse.Prefetch0(c + r * ldc + 16);
        }

        for (int p = 0; p < kc; p++)
        {
            // Prefetches never fault, so running past the end of a strip or of B itself is harmless.
            if (prefetch)
            {
                Sse.Prefetch0(b + pfb);
                Sse.Prefetch0(b + pfb + 16);
                Sse.Prefetch0(a + pfa);
            }

            Vector512<float> b0 = two || !maskB ? Vector512.Load(b) : Avx512F.MaskLoad(b, mask, Vector512<float>.Zero);
            Vector512<float> b1 = !two ? default
                : maskB ? Avx512F.MaskLoad(b + 16, mask, Vector512<float>.Zero) : Vector512.Load(b + 16);
            Vector512<float> ai;
            ai = Vector512.Create(a[0]);
            c0x0 = Avx512F.FusedMultiplyAdd(ai, b0, c0x0);
            if (two) c0x1 = Avx512F.FusedMultiplyAdd(ai, b1, c0x1);
            if (TRows.Value > 1)
            {
                ai = Vector512.Create(a[1]);
                c1x0 = Avx512F.FusedMultiplyAdd(ai, b0, c1x0);
                if (two) c1x1 = Avx512F.FusedMultiplyAdd(ai, b1, c1x1);
            }
            if (TRows.Value > 2)
            {
                ai = Vector512.Create(a[2]);
                c2x0 = Avx512F.FusedMultiplyAdd(ai, b0, c2x0);
                if (two) c2x1 = Avx512F.FusedMultiplyAdd(ai, b1, c2x1);
            }
            if (TRows.Value > 3)
            {
                ai = Vector512.Create(a[3]);
                c3x0 = Avx512F.FusedMultiplyAdd(ai, b0, c3x0);
                if (two) c3x1 = Avx512F.FusedMultiplyAdd(ai, b1, c3x1);
            }
            if (TRows.Value > 4)
            {
                ai = Vector512.Create(a[4]);
                c4x0 = Avx512F.FusedMultiplyAdd(ai, b0, c4x0);
                if (two) c4x1 = Avx512F.FusedMultiplyAdd(ai, b1, c4x1);
            }
            if (TRows.Value > 5)
            {
                ai = Vector512.Create(a[5]);
                c5x0 = Avx512F.FusedMultiplyAdd(ai, b0, c5x0);
                if (two) c5x1 = Avx512F.FusedMultiplyAdd(ai, b1, c5x1);
            }
            if (TRows.Value > 6)
            {
                ai = Vector512.Create(a[6]);
                c6x0 = Avx512F.FusedMultiplyAdd(ai, b0, c6x0);
                if (two) c6x1 = Avx512F.FusedMultiplyAdd(ai, b1, c6x1);
            }
            if (TRows.Value > 7)
            {
                ai = Vector512.Create(a[7]);
                c7x0 = Avx512F.FusedMultiplyAdd(ai, b0, c7x0);
                if (two) c7x1 = Avx512F.FusedMultiplyAdd(ai, b1, c7x1);
            }
            if (TRows.Value > 8)
            {
                ai = Vector512.Create(a[8]);
                c8x0 = Avx512F.FusedMultiplyAdd(ai, b0, c8x0);
                if (two) c8x1 = Avx512F.FusedMultiplyAdd(ai, b1, c8x1);
            }
            if (TRows.Value > 9)
            {
                ai = Vector512.Create(a[9]);
                c9x0 = Avx512F.FusedMultiplyAdd(ai, b0, c9x0);
                if (two) c9x1 = Avx512F.FusedMultiplyAdd(ai, b1, c9x1);
            }
            if (TRows.Value > 10)
            {
                ai = Vector512.Create(a[10]);
                c10x0 = Avx512F.FusedMultiplyAdd(ai, b0, c10x0);
                if (two) c10x1 = Avx512F.FusedMultiplyAdd(ai, b1, c10x1);
            }
            if (TRows.Value > 11)
            {
                ai = Vector512.Create(a[11]);
                c11x0 = Avx512F.FusedMultiplyAdd(ai, b0, c11x0);
                if (two) c11x1 = Avx512F.FusedMultiplyAdd(ai, b1, c11x1);
            }
            if (TRows.Value > 12)
            {
                ai = Vector512.Create(a[12]);
                c12x0 = Avx512F.FusedMultiplyAdd(ai, b0, c12x0);
                if (two) c12x1 = Avx512F.FusedMultiplyAdd(ai, b1, c12x1);
            }
            if (TRows.Value > 13)
            {
                ai = Vector512.Create(a[13]);
                c13x0 = Avx512F.FusedMultiplyAdd(ai, b0, c13x0);
                if (two) c13x1 = Avx512F.FusedMultiplyAdd(ai, b1, c13x1);
            }
            a += aStep;
            b += bStep;
        }

        bool full = lastLanes >= 16;
        if (!maskB) mask = LaneMask(lastLanes);
        Vector512<float> av = Vector512.Create(alpha);
        StoreRow(c, c0x0, c0x1, two, av, beta, full, mask);
        if (TRows.Value > 1) StoreRow(c + 1 * ldc, c1x0, c1x1, two, av, beta, full, mask);
        if (TRows.Value > 2) StoreRow(c + 2 * ldc, c2x0, c2x1, two, av, beta, full, mask);
        if (TRows.Value > 3) StoreRow(c + 3 * ldc, c3x0, c3x1, two, av, beta, full, mask);
        if (TRows.Value > 4) StoreRow(c + 4 * ldc, c4x0, c4x1, two, av, beta, full, mask);
        if (TRows.Value > 5) StoreRow(c + 5 * ldc, c5x0, c5x1, two, av, beta, full, mask);
        if (TRows.Value > 6) StoreRow(c + 6 * ldc, c6x0, c6x1, two, av, beta, full, mask);
        if (TRows.Value > 7) StoreRow(c + 7 * ldc, c7x0, c7x1, two, av, beta, full, mask);
        if (TRows.Value > 8) StoreRow(c + 8 * ldc, c8x0, c8x1, two, av, beta, full, mask);
        if (TRows.Value > 9) StoreRow(c + 9 * ldc, c9x0, c9x1, two, av, beta, full, mask);
        if (TRows.Value > 10) StoreRow(c + 10 * ldc, c10x0, c10x1, two, av, beta, full, mask);
        if (TRows.Value > 11) StoreRow(c + 11 * ldc, c11x0, c11x1, two, av, beta, full, mask);
        if (TRows.Value > 12) StoreRow(c + 12 * ldc, c12x0, c12x1, two, av, beta, full, mask);
        if (TRows.Value > 13) StoreRow(c + 13 * ldc, c13x0, c13x1, two, av, beta, full, mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LaneMask(int lanes) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(
        float* row, Vector512<float> v0, Vector512<float> v1, bool two, Vector512<float> av, float beta, bool full,
        Vector512<float> mask)
    {
        if (two)
        {
            StoreFull(row, v0, av, beta);
            StoreLast(row + 16, v1, av, beta, full, mask);
        }
        else
        {
            StoreLast(row, v0, av, beta, full, mask);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFull(float* p, Vector512<float> v, Vector512<float> av, float beta)
    {
        v *= av;
        if (beta != 0f) v = Avx512F.FusedMultiplyAdd(Vector512.Load(p), Vector512.Create(beta), v);
        v.Store(p);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLast(
        float* p, Vector512<float> v, Vector512<float> av, float beta, bool full, Vector512<float> mask)
    {
        if (full)
        {
            StoreFull(p, v, av, beta);
            return;
        }

        v *= av;
        if (beta != 0f)
        {
            Vector512<float> old = Avx512F.MaskLoad(p, mask, Vector512<float>.Zero);
            v = Avx512F.FusedMultiplyAdd(old, Vector512.Create(beta), v);
        }

        Avx512F.MaskStore(p, mask, v);
    }
}
