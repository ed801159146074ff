using ILGPU;

namespace GpuCnn.Kernels.Ops;

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
