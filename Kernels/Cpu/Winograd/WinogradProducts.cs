using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuCnn.Kernels.Cpu.Winograd;

/// <summary>A compile-time row count for <see cref="WinogradProducts"/>: the JIT makes one body per type.</summary>
internal interface IRowCount
{
    static abstract int Value { get; }
}

/// <summary>
/// The 36 products of the Winograd convolution, one register tile at a time: M = U V for up to 14 output channels
/// by 32 tiles, over all the input channels. U comes packed by the kernel transform, 14 output channels side by
/// side (in a line of 16) for each input channel, so a step of the sum reads 14 consecutive floats of U and two
/// vectors of one row of V, which is used where the input transform left it (no packing of either operand). Each
/// element of M is one chain of fused multiply-adds over the input channels in order, whichever thread runs the
/// tile.
/// </summary>
internal static unsafe class WinogradProducts
{
    /// <summary>Output channels per tile.</summary>
    public const int Rows = 14;

    /// <summary>Floats per packed row of U (the 14 channels and two zeros: one 64-byte line).</summary>
    public const int Stride = 16;

    /// <summary>Tiles per register tile (two 16-lane vectors).</summary>
    public const int Columns = 32;

    /// <summary>
    /// m[r * ldm + j] = sum over p &lt; depth of u[p * 16 + r] * v[p * ldv + j] for r &lt; rows, j &lt; 32.
    /// </summary>
    public static void Tile(int rows, int depth, float* u, float* v, nint ldv, float* m, nint ldm)
    {
        switch (rows)
        {
            case 14:
                Tile<R14>(depth, u, v, ldv, m, ldm);
                break;
            case 13:
                Tile<R13>(depth, u, v, ldv, m, ldm);
                break;
            case 12:
                Tile<R12>(depth, u, v, ldv, m, ldm);
                break;
            case 11:
                Tile<R11>(depth, u, v, ldv, m, ldm);
                break;
            case 10:
                Tile<R10>(depth, u, v, ldv, m, ldm);
                break;
            case 9:
                Tile<R9>(depth, u, v, ldv, m, ldm);
                break;
            case 8:
                Tile<R8>(depth, u, v, ldv, m, ldm);
                break;
            case 7:
                Tile<R7>(depth, u, v, ldv, m, ldm);
                break;
            case 6:
                Tile<R6>(depth, u, v, ldv, m, ldm);
                break;
            case 5:
                Tile<R5>(depth, u, v, ldv, m, ldm);
                break;
            case 4:
                Tile<R4>(depth, u, v, ldv, m, ldm);
                break;
            case 3:
                Tile<R3>(depth, u, v, ldv, m, ldm);
                break;
            case 2:
                Tile<R2>(depth, u, v, ldv, m, ldm);
                break;
            case 1:
                Tile<R1>(depth, u, v, ldv, m, ldm);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(rows));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TRows>(int depth, float* u, float* v, nint ldv, float* m, nint ldm)
        where TRows : struct, IRowCount
    {
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
        for (var p = 0; p < depth; p++)
        {
            var b0 = Vector512.Load(v);
            var b1 = Vector512.Load(v + 16);
            Vector512<float> a;
            a = Vector512.Create(u[0]);
            c0x0 = Avx512F.FusedMultiplyAdd(a, b0, c0x0);
            c0x1 = Avx512F.FusedMultiplyAdd(a, b1, c0x1);
            if (TRows.Value > 1)
            {
                a = Vector512.Create(u[1]);
                c1x0 = Avx512F.FusedMultiplyAdd(a, b0, c1x0);
                c1x1 = Avx512F.FusedMultiplyAdd(a, b1, c1x1);
            }

            if (TRows.Value > 2)
            {
                a = Vector512.Create(u[2]);
                c2x0 = Avx512F.FusedMultiplyAdd(a, b0, c2x0);
                c2x1 = Avx512F.FusedMultiplyAdd(a, b1, c2x1);
            }

            if (TRows.Value > 3)
            {
                a = Vector512.Create(u[3]);
                c3x0 = Avx512F.FusedMultiplyAdd(a, b0, c3x0);
                c3x1 = Avx512F.FusedMultiplyAdd(a, b1, c3x1);
            }

            if (TRows.Value > 4)
            {
                a = Vector512.Create(u[4]);
                c4x0 = Avx512F.FusedMultiplyAdd(a, b0, c4x0);
                c4x1 = Avx512F.FusedMultiplyAdd(a, b1, c4x1);
            }

            if (TRows.Value > 5)
            {
                a = Vector512.Create(u[5]);
                c5x0 = Avx512F.FusedMultiplyAdd(a, b0, c5x0);
                c5x1 = Avx512F.FusedMultiplyAdd(a, b1, c5x1);
            }

            if (TRows.Value > 6)
            {
                a = Vector512.Create(u[6]);
                c6x0 = Avx512F.FusedMultiplyAdd(a, b0, c6x0);
                c6x1 = Avx512F.FusedMultiplyAdd(a, b1, c6x1);
            }

            if (TRows.Value > 7)
            {
                a = Vector512.Create(u[7]);
                c7x0 = Avx512F.FusedMultiplyAdd(a, b0, c7x0);
                c7x1 = Avx512F.FusedMultiplyAdd(a, b1, c7x1);
            }

            if (TRows.Value > 8)
            {
                a = Vector512.Create(u[8]);
                c8x0 = Avx512F.FusedMultiplyAdd(a, b0, c8x0);
                c8x1 = Avx512F.FusedMultiplyAdd(a, b1, c8x1);
            }

            if (TRows.Value > 9)
            {
                a = Vector512.Create(u[9]);
                c9x0 = Avx512F.FusedMultiplyAdd(a, b0, c9x0);
                c9x1 = Avx512F.FusedMultiplyAdd(a, b1, c9x1);
            }

            if (TRows.Value > 10)
            {
                a = Vector512.Create(u[10]);
                c10x0 = Avx512F.FusedMultiplyAdd(a, b0, c10x0);
                c10x1 = Avx512F.FusedMultiplyAdd(a, b1, c10x1);
            }

            if (TRows.Value > 11)
            {
                a = Vector512.Create(u[11]);
                c11x0 = Avx512F.FusedMultiplyAdd(a, b0, c11x0);
                c11x1 = Avx512F.FusedMultiplyAdd(a, b1, c11x1);
            }

            if (TRows.Value > 12)
            {
                a = Vector512.Create(u[12]);
                c12x0 = Avx512F.FusedMultiplyAdd(a, b0, c12x0);
                c12x1 = Avx512F.FusedMultiplyAdd(a, b1, c12x1);
            }

            if (TRows.Value > 13)
            {
                a = Vector512.Create(u[13]);
                c13x0 = Avx512F.FusedMultiplyAdd(a, b0, c13x0);
                c13x1 = Avx512F.FusedMultiplyAdd(a, b1, c13x1);
            }

            u += Stride;
            v += ldv;
        }

        c0x0.Store(m);
        c0x1.Store(m + 16);
        if (TRows.Value > 1)
        {
            c1x0.Store(m + 1 * ldm);
            c1x1.Store(m + 1 * ldm + 16);
        }

        if (TRows.Value > 2)
        {
            c2x0.Store(m + 2 * ldm);
            c2x1.Store(m + 2 * ldm + 16);
        }

        if (TRows.Value > 3)
        {
            c3x0.Store(m + 3 * ldm);
            c3x1.Store(m + 3 * ldm + 16);
        }

        if (TRows.Value > 4)
        {
            c4x0.Store(m + 4 * ldm);
            c4x1.Store(m + 4 * ldm + 16);
        }

        if (TRows.Value > 5)
        {
            c5x0.Store(m + 5 * ldm);
            c5x1.Store(m + 5 * ldm + 16);
        }

        if (TRows.Value > 6)
        {
            c6x0.Store(m + 6 * ldm);
            c6x1.Store(m + 6 * ldm + 16);
        }

        if (TRows.Value > 7)
        {
            c7x0.Store(m + 7 * ldm);
            c7x1.Store(m + 7 * ldm + 16);
        }

        if (TRows.Value > 8)
        {
            c8x0.Store(m + 8 * ldm);
            c8x1.Store(m + 8 * ldm + 16);
        }

        if (TRows.Value > 9)
        {
            c9x0.Store(m + 9 * ldm);
            c9x1.Store(m + 9 * ldm + 16);
        }

        if (TRows.Value > 10)
        {
            c10x0.Store(m + 10 * ldm);
            c10x1.Store(m + 10 * ldm + 16);
        }

        if (TRows.Value > 11)
        {
            c11x0.Store(m + 11 * ldm);
            c11x1.Store(m + 11 * ldm + 16);
        }

        if (TRows.Value > 12)
        {
            c12x0.Store(m + 12 * ldm);
            c12x1.Store(m + 12 * ldm + 16);
        }

        if (TRows.Value > 13)
        {
            c13x0.Store(m + 13 * ldm);
            c13x1.Store(m + 13 * ldm + 16);
        }
    }

    private struct R1 : IRowCount
    {
        public static int Value => 1;
    }

    private struct R2 : IRowCount
    {
        public static int Value => 2;
    }

    private struct R3 : IRowCount
    {
        public static int Value => 3;
    }

    private struct R4 : IRowCount
    {
        public static int Value => 4;
    }

    private struct R5 : IRowCount
    {
        public static int Value => 5;
    }

    private struct R6 : IRowCount
    {
        public static int Value => 6;
    }

    private struct R7 : IRowCount
    {
        public static int Value => 7;
    }

    private struct R8 : IRowCount
    {
        public static int Value => 8;
    }

    private struct R9 : IRowCount
    {
        public static int Value => 9;
    }

    private struct R10 : IRowCount
    {
        public static int Value => 10;
    }

    private struct R11 : IRowCount
    {
        public static int Value => 11;
    }

    private struct R12 : IRowCount
    {
        public static int Value => 12;
    }

    private struct R13 : IRowCount
    {
        public static int Value => 13;
    }

    private struct R14 : IRowCount
    {
        public static int Value => 14;
    }
}
