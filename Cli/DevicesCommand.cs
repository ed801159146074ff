using System.CommandLine;
using System.Globalization;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ilgpu;
using GpuCnn.Kernels.OpenCL;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn devices</c>: the accelerators present, each CUDA and OpenCL device with the index that
/// --device takes and a mark on simulators and CPU drivers, then the device that <c>--device auto</c> takes.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices", "List the accelerators present");
        command.SetAction(_ =>
        {
            var c = CultureInfo.InvariantCulture;
            using (var cpu = new CpuAccelerator())
            {
                var mib = cpu.MemoryBytes / (1 << 20);
                Console.WriteLine(string.Create(c, $"cpu       {cpu.Name}, {mib:N0} MiB available"));
            }

            var gpus = IlgpuAccelerator.CudaDevices();
            if (gpus.Count == 0)
            {
                var why = CudaDeviceInfo.ProbeError is { } error ? $": {error}" : "";
                Console.WriteLine($"cuda      none (no NVIDIA GPU or driver found by ILGPU{why})");
            }

            foreach (var g in gpus)
            {
                Console.WriteLine(CudaLine(g));
            }

            var devices = OpenCLAccelerator.Devices();
            if (devices.Count == 0)
            {
                Console.WriteLine(
                    "opencl    none (no OpenCL loader or platform; on Debian: apt-get install pocl-opencl-icd)");
            }

            foreach (var d in devices)
            {
                // auto never takes these two kinds; opencl:N still does.
                var mark = d.IsSimulator ? " (simulator)" : d.Type == OpenCLDeviceType.Cpu ? " (CPU driver)" : "";
                Console.WriteLine(string.Create(c,
                    $"opencl:{d.Index,-3}{d.Name} [{d.Platform}] type {d.Type}{mark}, {d.ComputeUnits} compute " +
                    $"units, {d.GlobalMemoryBytes / (1 << 20):N0} MiB global memory (max allocation " +
                    $"{d.MaxAllocationBytes / (1 << 20):N0} MiB), max work-group {d.MaxWorkGroupSize}, " +
                    $"{d.LocalMemoryBytes / 1024:N0} KiB local memory, {d.Version}"));
            }

            var auto = AcceleratorFactory.ResolveAuto();
            Console.WriteLine($"auto      {auto} (--device auto never takes a simulator or an OpenCL CPU driver)");
            return 0;
        });
        return command;
    }

    /// <summary>One CUDA GPU's line: the index --device takes, name, multiprocessors, memory, compute capability.
    /// </summary>
    internal static string CudaLine(CudaDeviceInfo g) => string.Create(CultureInfo.InvariantCulture,
        $"cuda:{g.Index,-5}{g.Name}, {g.Multiprocessors} multiprocessors, " +
        $"{g.MemoryBytes / (1 << 20):N0} MiB memory, compute capability {g.ComputeCapability}");
}
