using GpuCnn.Kernels;

namespace GpuCnn.Cli;

/// <summary>Turns a <c>--device</c> value into an accelerator.</summary>
internal static class Devices
{
    public static Accelerator Open(string device) => AcceleratorFactory.Create(device);
}
