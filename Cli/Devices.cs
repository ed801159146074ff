using GpuCnn.Engine.Distributed;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ilgpu;

namespace GpuCnn.Cli;

/// <summary>Turns a <c>--device</c> value into an accelerator.</summary>
internal static class Devices
{
    /// <summary>
    /// Opens <paramref name="device"/>. Under mpirun each rank takes its own share of the host: <c>cpu</c> (and
    /// <c>auto</c> without a GPU) gets the host's cores divided among the ranks on it, <c>cuda</c> (and <c>auto</c>
    /// with CUDA GPUs) the GPU of the rank's local index.
    /// </summary>
    public static Accelerator Open(string device)
    {
        if (!MpiEnvironment.IsLaunched)
        {
            return AcceleratorFactory.Create(device);
        }

        var value = device.Trim().ToLowerInvariant();
        var gpus = value is "cuda" or "auto" ? IlgpuAccelerator.CudaDevices().Count : 0;
        return value switch
        {
            "cuda" or "auto" when gpus > 0 => IlgpuAccelerator.Cuda(MpiEnvironment.LocalRank % gpus),
            "cpu" => new CpuAccelerator(MpiEnvironment.ThreadsPerLocalRank),
            "auto" => AutoWithoutCuda(),
            _ => AcceleratorFactory.Create(device),
        };
    }

    // auto's choice without CUDA (an OpenCL GPU, else the CPU), with the CPU's cores shared among the local ranks.
    private static Accelerator AutoWithoutCuda()
    {
        var chosen = AcceleratorFactory.Create("auto");
        if (chosen.Kind != AcceleratorKind.Cpu)
        {
            return chosen;
        }

        chosen.Dispose();
        return new CpuAccelerator(MpiEnvironment.ThreadsPerLocalRank);
    }
}
