using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuCnn.Kernels.Cpu;

/// <summary>Host memory of the CPU accelerator: a pinned array, so kernels can hold raw pointers to it.</summary>
internal sealed unsafe class CpuBuffer : DeviceBuffer
{
    public CpuBuffer(Accelerator accelerator, int length)
        : base(accelerator, length)
    {
        Data = GC.AllocateUninitializedArray<float>(length, pinned: true);
        Pointer = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Data));
    }

    public float[] Data { get; }

    public float* Pointer { get; }

    public Span<float> Span => Data;
}
