namespace GpuCnn.Kernels.OpenCL;

/// <summary>Device memory of an OpenCL accelerator: a cl_mem handle, reached only through kernels and copies.</summary>
internal sealed class OpenCLBuffer : DeviceBuffer
{
    public OpenCLBuffer(Accelerator accelerator, int length, nint handle)
        : base(accelerator, length) => Handle = handle;

    /// <summary>The cl_mem; zero once freed.</summary>
    public nint Handle { get; set; }
}
