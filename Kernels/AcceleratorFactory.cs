using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ilgpu;
using GpuCnn.Kernels.OpenCL;

namespace GpuCnn.Kernels;

/// <summary>Opens an accelerator from a device string: <c>auto</c>, <c>cpu</c>, <c>opencl</c>, <c>opencl:N</c>
/// (N indexes <see cref="OpenCLAccelerator.Devices"/>), <c>cuda</c>, <c>cuda:N</c> (N indexes
/// <see cref="IlgpuAccelerator.CudaDevices"/>) or <c>ilgpu-cpu</c> (the CUDA kernels on ILGPU's CPU accelerator, for
/// tests).</summary>
public static class AcceleratorFactory
{
    /// <summary>The device strings <see cref="Create"/> accepts, for help texts.</summary>
    public const string Syntax = "auto, cpu, opencl, opencl:N, cuda, cuda:N or ilgpu-cpu";

    /// <summary>
    /// Opens the device <paramref name="device"/> names. <c>auto</c> takes the first CUDA GPU, else the first OpenCL
    /// GPU, and otherwise the CPU backend — never an OpenCL CPU driver such as PoCL, which the managed CPU backend
    /// outruns, nor a simulator such as Oclgrind, which reports itself as a GPU. <c>opencl</c> takes the first GPU
    /// that is not a simulator, else the first OpenCL device that is not a simulator, else the first device.
    /// </summary>
    public static Accelerator Create(string device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var value = device.Trim().ToLowerInvariant();
        if (value == "cpu")
        {
            return new CpuAccelerator();
        }

        if (value == "auto")
        {
            return Create(ResolveAuto());
        }

        if (value == "opencl")
        {
            return new OpenCLAccelerator();
        }

        if (value.StartsWith("opencl:", StringComparison.Ordinal) && int.TryParse(value.AsSpan(7), out var index))
        {
            return new OpenCLAccelerator(index);
        }

        if (value == "cuda")
        {
            return IlgpuAccelerator.Cuda();
        }

        if (value.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(value.AsSpan(5), out var gpuIndex))
        {
            return IlgpuAccelerator.Cuda(gpuIndex);
        }

        if (value == "ilgpu-cpu")
        {
            return IlgpuAccelerator.Cpu();
        }

        throw new ArgumentException($"Unknown device '{device}'; use {Syntax}.", nameof(device));
    }

    /// <summary>The device <c>auto</c> stands for on this machine: <c>cuda:0</c> when ILGPU finds a CUDA GPU, else
    /// <c>opencl:N</c> for the first OpenCL GPU that is not a simulator, else <c>cpu</c>.</summary>
    public static string ResolveAuto() =>
        AutoChoice(IlgpuAccelerator.CudaDevices().Count, OpenCLAccelerator.GpuDeviceIndex());

    /// <summary>The rule of <see cref="ResolveAuto"/>, from the CUDA GPUs found and the index of the OpenCL GPU
    /// that <c>auto</c> may take (null when none).</summary>
    internal static string AutoChoice(int cudaDevices, int? openClGpu) =>
        cudaDevices > 0 ? "cuda:0" : openClGpu is { } gpu ? $"opencl:{gpu}" : "cpu";

    /// <summary>True when <paramref name="device"/> is well formed (the device itself may still be absent).</summary>
    public static bool IsValid(string device)
    {
        var value = device.Trim().ToLowerInvariant();
        return value is "auto" or "cpu" or "opencl" or "cuda" or "ilgpu-cpu" ||
            (value.StartsWith("opencl:", StringComparison.Ordinal) && int.TryParse(value.AsSpan(7), out var n) &&
                n >= 0) ||
            (value.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(value.AsSpan(5), out var g) &&
                g >= 0);
    }
}
