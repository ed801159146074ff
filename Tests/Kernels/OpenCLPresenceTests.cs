using GpuCnn.Kernels.OpenCL;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>Says whether the OpenCL op tests ran: without a platform their entries are absent from
/// <see cref="Accelerators"/>, and this test is the one that skips (or, where OpenCL is required, fails).</summary>
public sealed class OpenCLPresenceTests
{
    [OpenCLFact]
    public void APlatformWithADeviceIsPresentAndItsProgramBuilds()
    {
        var devices = OpenCLAccelerator.Devices();

        Assert.True(devices.Count > 0,
            $"No OpenCL device found, but {OpenCLFactAttribute.RequireVariable}=1 asks for one; install an ICD " +
            "(on Debian: apt-get install pocl-opencl-icd ocl-icd-libopencl1).");
        using var acc = new OpenCLAccelerator();
        Assert.Equal(GpuCnn.Kernels.AcceleratorKind.OpenCL, acc.Kind);
        Assert.All(devices, d => Assert.True(d.ComputeUnits > 0 && d.GlobalMemoryBytes > 0));
        Assert.All(devices, d => Assert.True(d.MaxWorkGroupSize > 0 && d.LocalMemoryBytes > 0));
    }
}

/// <summary>A fact that skips, with the reason, when no OpenCL device exists — unless
/// <c>GPUCNN_REQUIRE_OPENCL=1</c> (set in CI), where it runs and fails.</summary>
internal sealed class OpenCLFactAttribute : FactAttribute
{
    public const string RequireVariable = "GPUCNN_REQUIRE_OPENCL";

    public OpenCLFactAttribute()
    {
        if (OpenCLAccelerator.Devices().Count == 0 && Environment.GetEnvironmentVariable(RequireVariable) != "1")
        {
            Skip = "No OpenCL platform with a device (install pocl-opencl-icd, or set " +
                $"{RequireVariable}=1 to make this an error); the OpenCL op tests did not run.";
        }
    }
}

/// <summary>The theory counterpart of <see cref="OpenCLFactAttribute"/>.</summary>
internal sealed class OpenCLTheoryAttribute : TheoryAttribute
{
    public OpenCLTheoryAttribute() => Skip = new OpenCLFactAttribute().Skip;
}

/// <summary>
/// An OpenCL fact about running out of device memory: it needs the preferred device to refuse single buffers of
/// <c>maxAllocationBelow</c> bytes (CL_DEVICE_MAX_MEM_ALLOC_SIZE below it). On a device that allows such buffers
/// it skips and says why, instead of passing without asserting anything; xunit 2 decides skips when it discovers
/// tests, so the device is asked here.
/// </summary>
internal sealed class OpenCLAllocationLimitFactAttribute : FactAttribute
{
    public OpenCLAllocationLimitFactAttribute(long maxAllocationBelow)
    {
        Skip = new OpenCLFactAttribute().Skip;
        var devices = OpenCLAccelerator.Devices();
        if (Skip is null && devices.Count > 0)
        {
            var device = devices[OpenCLAccelerator.GpuDeviceIndex() ?? 0];
            if (device.MaxAllocationBytes >= maxAllocationBelow)
            {
                Skip = $"{device.Name} allows single buffers of {device.MaxAllocationBytes:N0} bytes; the test " +
                    $"needs a device whose limit is below {maxAllocationBelow:N0} bytes.";
            }
        }
    }
}
