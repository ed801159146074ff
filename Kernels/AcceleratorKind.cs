namespace GpuCnn.Kernels;

/// <summary>The backend family of an accelerator.</summary>
public enum AcceleratorKind
{
    /// <summary>The managed, vectorised, multi-threaded CPU backend.</summary>
    Cpu,

    /// <summary>An OpenCL device (GPU, or a CPU driver such as PoCL).</summary>
    OpenCL,

    /// <summary>C# kernels compiled by ILGPU: a CUDA GPU, or ILGPU's CPU accelerator (for tests).</summary>
    Ilgpu,
}
