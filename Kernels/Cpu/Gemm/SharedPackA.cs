using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuCnn.Kernels.Cpu.Gemm;

/// <summary>
/// Packed blocks of op(A) shared by the threads of one column-split GEMM. Every column block multiplies the same
/// row blocks of A, so instead of each thread transposing all of A into its own scratch, the first thread to
/// reach a block packs it and the others wait for it (at most one block's packing) and then read it. A is then
/// packed once per product rather than once per thread: at 512^3 on two cores that copy was a tenth of the time.
/// </summary>
/// <remarks>
/// Each block has a flag stamped with the call's generation: 2g while a thread packs it, 2g + 1 once it is ready,
/// anything older means not yet claimed in this call, so nothing is reset between calls. The thread that claims a
/// block always finishes packing it before it waits on anything, so the waits cannot deadlock, even when one
/// thread runs every part. The packed bytes do not depend on which thread packs them, so results are unchanged.
/// </remarks>
internal sealed unsafe class SharedPackA
{
    /// <summary>The most floats the shared panels may take (128 MiB); larger products pack per thread.</summary>
    public const long MaxFloats = 1L << 25;

    private float[]? panels;
    private int[]? flags;
    private int generation;

    /// <summary>Floats per block, a multiple of 16 so every block stays 64-byte aligned.</summary>
    public int BlockFloats { get; private set; }

    /// <summary>
    /// Sizes the panels for <paramref name="blocks"/> blocks of <paramref name="blockFloats"/> and starts a new
    /// call. Returns false (use per-thread packing) when that would exceed <see cref="MaxFloats"/>. Grows only.
    /// </summary>
    public bool Prepare(int blocks, int blockFloats)
    {
        blockFloats = (blockFloats + 15) / 16 * 16;
        long floats = (long)blocks * blockFloats;
        if (floats > MaxFloats) return false;
        if (panels is null || panels.Length < floats + 16)
        {
            panels = GC.AllocateUninitializedArray<float>((int)floats + 16, pinned: true);
        }

        if (flags is null || flags.Length < blocks)
        {
            flags = GC.AllocateArray<int>(blocks, pinned: true);
            generation = 0;
        }

        if (generation >= int.MaxValue / 2 - 1)
        {
            Array.Clear(flags);
            generation = 0;
        }

        generation++;
        BlockFloats = blockFloats;
        return true;
    }

    /// <summary>
    /// The packed block <paramref name="index"/>: packs it here if no other thread has claimed it yet in this
    /// call, otherwise waits until the thread that claimed it has finished. While it would wait, it first packs
    /// block <paramref name="index"/> + 1 (the next row block of the same k slice, at <paramref name="nextA"/>,
    /// <paramref name="nextMc"/> rows; none when 0) if no thread has claimed that yet.
    /// </summary>
    /// <remarks>
    /// Without the look-ahead the threads reach each block together, one packs it and the other only waits:
    /// packing A then costs as much time as when every thread packs its own copy (a tenth of a 512^3 product
    /// on two cores). Packing the next block instead splits the packing between the threads.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float* Block(
        int index, bool transA, float* a, nint lda, int mc, int kc, int mr, float* nextA = null, int nextMc = 0)
    {
        float* block = BlockAt(index);
        ref int flag = ref flags![index];
        int ready = 2 * generation + 1;
        if (TryPack(index, transA, a, lda, mc, kc, mr)) return block;
        if (nextMc > 0 && Volatile.Read(ref flag) != ready)
        {
            TryPack(index + 1, transA, nextA, lda, nextMc, kc, mr);
        }

        while (Volatile.Read(ref flag) != ready) Thread.SpinWait(4);
        return block;
    }

    private float* BlockAt(int index)
    {
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(panels!));
        return (float*)((p + 63) & ~(nint)63) + (nint)index * BlockFloats;
    }

    /// <summary>Packs block <paramref name="index"/> and returns true if no thread had claimed it yet.</summary>
    private bool TryPack(int index, bool transA, float* a, nint lda, int mc, int kc, int mr)
    {
        ref int flag = ref flags![index];
        int claimed = 2 * generation;
        int seen = Volatile.Read(ref flag);
        if (seen >= claimed || Interlocked.CompareExchange(ref flag, claimed, seen) != seen) return false;
        GemmPacking.PackA(transA, a, lda, mc, kc, mr, BlockAt(index));
        Volatile.Write(ref flag, claimed + 1);
        return true;
    }
}
