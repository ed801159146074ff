using ILGPU;
using ILGPU.Runtime;

namespace GpuCnn.Kernels.Ilgpu;

/// <summary>Device memory of an ILGPU accelerator: a dense one-dimensional float buffer.</summary>
internal sealed class IlgpuBuffer : DeviceBuffer
{
    public IlgpuBuffer(Accelerator accelerator, MemoryBuffer1D<float, Stride1D.Dense> memory)
        : base(accelerator, checked((int)memory.Length)) => Memory = memory;

    /// <summary>The ILGPU buffer; disposed when the accelerator frees it.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Memory { get; }

    /// <summary>The whole buffer as a kernel argument.</summary>
    public ArrayView<float> View => Memory.View;
}
