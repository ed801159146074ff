using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Cli;

/// <summary>Turns a <c>--device</c> value into an accelerator.</summary>
internal static class Devices
{
    public static readonly string[] Choices = ["auto", "cpu"];

    public static Accelerator Open(string device) => device switch
    {
        // NOTE: "auto" prefers an OpenCL GPU once that backend exists; today the CPU backend is the best device.
        "auto" or "cpu" => new CpuAccelerator(),
        _ => throw new ArgumentException($"Unknown device '{device}'; use {string.Join(" or ", Choices)}."),
    };
}
