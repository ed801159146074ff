using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuCnn.Kernels.Cpu;

/// <summary>
/// Pinned scratch memory per worker (im2col matrices) and shared slots (gradient partials). Each grows to the
/// largest request and is then reused, so a warm training step allocates nothing.
/// </summary>
internal sealed unsafe class CpuScratch
{
    private readonly float[]?[] perWorker;
    private readonly float[]?[] shared = new float[]?[4];

    public CpuScratch(int workers) => perWorker = new float[]?[workers];

    public float* ForWorker(int worker, int length) => Ensure(ref perWorker[worker], length);

    /// <summary>Grows every worker's slot to <paramref name="length"/> on the calling thread, before a job is
    /// dispatched: any worker may take any item, so each must already hold what the job needs.</summary>
    public void Reserve(int length)
    {
        for (var worker = 0; worker < perWorker.Length; worker++)
        {
            Ensure(ref perWorker[worker], length);
        }
    }

    public float* Shared(int slot, int length) => Ensure(ref shared[slot], length);

    private static float* Ensure(ref float[]? array, int length)
    {
        if (array is null || array.Length < length)
        {
            array = GC.AllocateUninitializedArray<float>(Math.Max(length, 16), pinned: true);
        }

        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
    }
}
