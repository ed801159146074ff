using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuCnn.Kernels.Cpu.Gemm;

/// <summary>
/// The AVX2 fallback tile: up to 6 rows by 16 columns of C in 12 ymm accumulators (of 16), the classic shape
/// for two FMA pipes with 256-bit vectors. Same contract as <see cref="Avx512MicroKernel"/>.
/// </summary>
internal static unsafe class Avx2MicroKernel
{
    /// <summary>Rows of C per full tile.</summary>
    public const int Mr = 6;

    /// <summary>Columns of C per full tile (two 8-lane vectors).</summary>
    public const int Nr = 16;

    /// <summary>
    /// One tile: C[0..rows, 0..nr) = alpha * A * B + beta * C, where rows = <typeparamref name="TRows"/> and
    /// nr &lt;= 8 * <typeparamref name="TVecs"/>. A(i, p) is a[p * aStep + i]; B(p, j) is b[p * bStep + j] and
    /// 8 * TVecs columns of each B row must be readable. beta == 0 never reads C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TRows, TVecs>(
        int kc, float* a, nint aStep, float* b, nint bStep, float* c, nint ldc, float alpha, float beta, int nr)
        where TRows : struct, IConstant
        where TVecs : struct, IConstant
    {
        bool two = TVecs.Value == 2;
        Vector256<float> c0x0 = default, c0x1 = default;
        Vector256<float> c1x0 = default, c1x1 = default;
        Vector256<float> c2x0 = default, c2x1 = default;
        Vector256<float> c3x0 = default, c3x1 = default;
        Vector256<float> c4x0 = default, c4x1 = default;
        Vector256<float> c5x0 = default, c5x1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = two ? Vector256.Load(b + 8) : default;
            Vector256<float> ai;
            ai = Vector256.Create(a[0]);
            c0x0 = Fma.MultiplyAdd(ai, b0, c0x0);
            if (two) c0x1 = Fma.MultiplyAdd(ai, b1, c0x1);
            if (TRows.Value > 1)
            {
                ai = Vector256.Create(a[1]);
                c1x0 = Fma.MultiplyAdd(ai, b0, c1x0);
                if (two) c1x1 = Fma.MultiplyAdd(ai, b1, c1x1);
            }
            if (TRows.Value > 2)
            {
                ai = Vector256.Create(a[2]);
                c2x0 = Fma.MultiplyAdd(ai, b0, c2x0);
                if (two) c2x1 = Fma.MultiplyAdd(ai, b1, c2x1);
            }
            if (TRows.Value > 3)
            {
                ai = Vector256.Create(a[3]);
                c3x0 = Fma.MultiplyAdd(ai, b0, c3x0);
                if (two) c3x1 = Fma.MultiplyAdd(ai, b1, c3x1);
            }
            if (TRows.Value > 4)
            {
                ai = Vector256.Create(a[4]);
                c4x0 = Fma.MultiplyAdd(ai, b0, c4x0);
                if (two) c4x1 = Fma.MultiplyAdd(ai, b1, c4x1);
            }
            if (TRows.Value > 5)
            {
                ai = Vector256.Create(a[5]);
                c5x0 = Fma.MultiplyAdd(ai, b0, c5x0);
                if (two) c5x1 = Fma.MultiplyAdd(ai, b1, c5x1);
            }
            a += aStep;
            b += bStep;
        }

        int lastLanes = two ? nr - 8 : nr;
        bool full = lastLanes >= 8;
        Vector256<float> mask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(lastLanes)).AsSingle();
        Vector256<float> av = Vector256.Create(alpha);
        StoreRow(c, c0x0, c0x1, two, av, beta, full, mask);
        if (TRows.Value > 1) StoreRow(c + 1 * ldc, c1x0, c1x1, two, av, beta, full, mask);
        if (TRows.Value > 2) StoreRow(c + 2 * ldc, c2x0, c2x1, two, av, beta, full, mask);
        if (TRows.Value > 3) StoreRow(c + 3 * ldc, c3x0, c3x1, two, av, beta, full, mask);
        if (TRows.Value > 4) StoreRow(c + 4 * ldc, c4x0, c4x1, two, av, beta, full, mask);
        if (TRows.Value > 5) StoreRow(c + 5 * ldc, c5x0, c5x1, two, av, beta, full, mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(
        float* row, Vector256<float> v0, Vector256<float> v1, bool two, Vector256<float> av, float beta, bool full,
        Vector256<float> mask)
    {
        if (two)
        {
            StoreFull(row, v0, av, beta);
            StoreLast(row + 8, v1, av, beta, full, mask);
        }
        else
        {
            StoreLast(row, v0, av, beta, full, mask);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFull(float* p, Vector256<float> v, Vector256<float> av, float beta)
    {
        v *= av;
        if (beta != 0f) v = Fma.MultiplyAdd(Vector256.Load(p), Vector256.Create(beta), v);
        v.Store(p);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLast(
        float* p, Vector256<float> v, Vector256<float> av, float beta, bool full, Vector256<float> mask)
    {
        if (full)
        {
            StoreFull(p, v, av, beta);
            return;
        }

        v *= av;
        if (beta != 0f) v = Fma.MultiplyAdd(Avx.MaskLoad(p, mask), Vector256.Create(beta), v);
        Avx.MaskStore(p, mask, v);
    }
}
