using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.OpenCL;

namespace GpuCnn.Kernels;

/// <summary>Opens an accelerator from a device string: <c>auto</c>, <c>cpu</c>, <c>opencl</c> or
/// <c>opencl:N</c> (N indexes <see cref="OpenCLAccelerator.Devices"/>).</summary>
public static class AcceleratorFactory
{
    /// <summary>The device strings <see cref="Create"/> accepts, for help texts.</summary>
    public const string Syntax = "auto, cpu, opencl or opencl:N";

    /// <summary>
    /// Opens the device <paramref name="device"/> names. <c>auto</c> takes the first OpenCL GPU and otherwise the
    /// CPU backend — never an OpenCL CPU driver such as PoCL, which the managed CPU backend outruns, nor a
    /// simulator such as Oclgrind, which reports itself as a GPU. <c>opencl</c> takes the first GPU that is not a
    /// simulator, else the first OpenCL device that is not a simulator, else the first device.
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
            return OpenCLAccelerator.GpuDeviceIndex() is { } gpu ? new OpenCLAccelerator(gpu) : new CpuAccelerator();
        }

        if (value == "opencl")
        {
            return new OpenCLAccelerator();
        }

        if (value.StartsWith("opencl:", StringComparison.Ordinal) && int.TryParse(value.AsSpan(7), out var index))
        {
            return new OpenCLAccelerator(index);
        }

        throw new ArgumentException($"Unknown device '{device}'; use {Syntax}.", nameof(device));
    }

    /// <summary>True when <paramref name="device"/> is well formed (the device itself may still be absent).</summary>
    public static bool IsValid(string device)
    {
        var value = device.Trim().ToLowerInvariant();
        return value is "auto" or "cpu" or "opencl" ||
            (value.StartsWith("opencl:", StringComparison.Ordinal) && int.TryParse(value.AsSpan(7), out var n) &&
                n >= 0);
    }
}
