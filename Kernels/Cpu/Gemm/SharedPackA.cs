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
    /// call, otherwise waits until the thread that claimed it has finished.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float* Block(int index, bool transA, float* a, nint lda, int mc, int kc, int mr)
    {
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(panels!));
        float* block = (float*)((p + 63) & ~(nint)63) + (nint)index * BlockFloats;
        ref int flag = ref flags![index];
        int claimed = 2 * generation, ready = claimed + 1;
        int seen = Volatile.Read(ref flag);
        if (seen < claimed && Interlocked.CompareExchange(ref flag, claimed, seen) == seen)
        {
            GemmPacking.PackA(transA, a, lda, mc, kc, mr, block);
            Volatile.Write(ref flag, ready);
            return block;
        }

        while (Volatile.Read(ref flag) != ready) Thread.SpinWait(4);
        return block;
    }
}
