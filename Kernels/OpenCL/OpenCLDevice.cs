using System.Text;

namespace GpuCnn.Kernels.OpenCL;

/// <summary>The kind of an OpenCL device, from CL_DEVICE_TYPE.</summary>
public enum OpenCLDeviceType
{
    /// <summary>A host CPU driver such as PoCL.</summary>
    Cpu,

    /// <summary>A graphics processor.</summary>
    Gpu,

    /// <summary>A dedicated accelerator (FPGA, DSP ...).</summary>
    Accelerator,

    /// <summary>Anything else the driver reports.</summary>
    Other,
}

/// <summary>One OpenCL device as <see cref="OpenCLAccelerator.Devices"/> lists it; <see cref="Index"/> is what
/// <c>opencl:N</c> and <see cref="OpenCLAccelerator(int, OpenCLConvolution)"/> take.</summary>
public sealed record OpenCLDevice(
    int Index, string Platform, string Name, OpenCLDeviceType Type, int ComputeUnits, long GlobalMemoryBytes,
    long MaxAllocationBytes, int MaxWorkGroupSize, long LocalMemoryBytes, string Version)
{
    /// <summary>The native cl_device_id.</summary>
    internal nint Handle { get; init; }

    /// <summary>True when the device divides and takes square roots correctly rounded on request.</summary>
    internal bool CorrectlyRoundedDivideSqrt { get; init; }

    /// <summary>True when the device fuses multiply-add in hardware (CL_FP_FMA): fma() is as fast as
    /// mad().</summary>
    internal bool HardwareFma { get; init; }

    /// <summary>True for a device that simulates a GPU in software (Oclgrind, which reports itself as a GPU): it
    /// checks kernels for races and invalid accesses, and is far too slow to compute on.</summary>
    public bool IsSimulator => Platform.Contains("Oclgrind", StringComparison.OrdinalIgnoreCase) ||
        Name.Contains("Oclgrind", StringComparison.OrdinalIgnoreCase);

    /// <summary>The device <c>--device auto</c> opens: the first GPU that is not a simulator, or null when there is
    /// none, and then the managed CPU backend, which outruns an OpenCL CPU driver (PoCL) on the same cores.</summary>
    internal static int? AutoChoice(IReadOnlyList<OpenCLDevice> devices) =>
        devices.FirstOrDefault(d => d.Type == OpenCLDeviceType.Gpu && !d.IsSimulator)?.Index;

    /// <summary>The device <c>--device opencl</c> opens: as <see cref="AutoChoice"/>, else the first device that is
    /// not a simulator (a CPU driver), else the first device; null when there is none. A simulator is taken only
    /// when nothing else exists or when named by its index.</summary>
    internal static int? PreferredChoice(IReadOnlyList<OpenCLDevice> devices) =>
        AutoChoice(devices) ?? devices.FirstOrDefault(d => !d.IsSimulator)?.Index ?? devices.FirstOrDefault()?.Index;

    /// <summary>Every device of every platform, in platform order; empty when no OpenCL loader or platform
    /// exists.</summary>
    internal static unsafe IReadOnlyList<OpenCLDevice> Enumerate()
    {
        uint platformCount;
        try
        {
            var status = Cl.clGetPlatformIDs(0, null, &platformCount);
            if (status == Cl.PlatformNotFoundKhr || platformCount == 0)
            {
                return [];
            }

            Cl.Check(status, "clGetPlatformIDs");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return [];
        }

        var platforms = new nint[platformCount];
        fixed (nint* p = platforms)
        {
            Cl.Check(Cl.clGetPlatformIDs(platformCount, p, null), "clGetPlatformIDs");
        }

        var result = new List<OpenCLDevice>();
        foreach (var platform in platforms)
        {
            uint deviceCount;
            var status = Cl.clGetDeviceIDs(platform, Cl.DeviceTypeAll, 0, null, &deviceCount);
            if (status == Cl.DeviceNotFound || deviceCount == 0)
            {
                continue;
            }

            Cl.Check(status, "clGetDeviceIDs");
            var devices = new nint[deviceCount];
            fixed (nint* d = devices)
            {
                Cl.Check(Cl.clGetDeviceIDs(platform, Cl.DeviceTypeAll, deviceCount, d, null), "clGetDeviceIDs");
            }

            var platformName = PlatformString(platform, Cl.PlatformName);
            foreach (var device in devices)
            {
                var type = DeviceValue<ulong>(device, Cl.DeviceType);
                var fpConfig = DeviceValue<ulong>(device, Cl.DeviceSingleFpConfig);
                result.Add(new OpenCLDevice(
                    result.Count, platformName, DeviceString(device, Cl.DeviceName),
                    (type & Cl.DeviceTypeGpu) != 0 ? OpenCLDeviceType.Gpu
                    : (type & Cl.DeviceTypeCpu) != 0 ? OpenCLDeviceType.Cpu
                    : (type & Cl.DeviceTypeAccelerator) != 0 ? OpenCLDeviceType.Accelerator
                    : OpenCLDeviceType.Other,
                    (int)DeviceValue<uint>(device, Cl.DeviceMaxComputeUnits),
                    (long)DeviceValue<ulong>(device, Cl.DeviceGlobalMemSize),
                    (long)DeviceValue<ulong>(device, Cl.DeviceMaxMemAllocSize),
                    (int)DeviceValue<nuint>(device, Cl.DeviceMaxWorkGroupSize),
                    (long)DeviceValue<ulong>(device, Cl.DeviceLocalMemSize),
                    DeviceString(device, Cl.DeviceVersion))
                {
                    Handle = device,
                    CorrectlyRoundedDivideSqrt = (fpConfig & Cl.FpCorrectlyRoundedDivideSqrt) != 0,
                    HardwareFma = (fpConfig & Cl.FpFma) != 0,
                });
            }
        }

        return result;
    }

    private static unsafe T DeviceValue<T>(nint device, uint name)
        where T : unmanaged
    {
        T value;
        Cl.Check(Cl.clGetDeviceInfo(device, name, (nuint)sizeof(T), &value, null), "clGetDeviceInfo");
        return value;
    }

    private static unsafe string DeviceString(nint device, uint name)
    {
        nuint size;
        Cl.Check(Cl.clGetDeviceInfo(device, name, 0, null, &size), "clGetDeviceInfo");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes)
        {
            Cl.Check(Cl.clGetDeviceInfo(device, name, size, b, null), "clGetDeviceInfo");
        }

        return Encoding.UTF8.GetString(bytes).TrimEnd('\0').Trim();
    }

    private static unsafe string PlatformString(nint platform, uint name)
    {
        nuint size;
        Cl.Check(Cl.clGetPlatformInfo(platform, name, 0, null, &size), "clGetPlatformInfo");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes)
        {
            Cl.Check(Cl.clGetPlatformInfo(platform, name, size, b, null), "clGetPlatformInfo");
        }

        return Encoding.UTF8.GetString(bytes).TrimEnd('\0').Trim();
    }
}
