using System.CommandLine;
using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn devices</c>: the accelerators present.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices", "List the accelerators present");
        command.SetAction(_ =>
        {
            using var cpu = new CpuAccelerator();
            Console.WriteLine($"cpu    {cpu.Name}, {cpu.MemoryBytes / (1 << 20):N0} MiB available");
            return 0;
        });
        return command;
    }
}
