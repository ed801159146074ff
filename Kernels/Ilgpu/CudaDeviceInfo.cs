using ILGPU;
using ILGPU.Runtime.Cuda;

namespace GpuCnn.Kernels.Ilgpu;

/// <summary>A CUDA GPU as ILGPU reports it, for <c>gpucnn devices</c> and device selection.</summary>
/// <param name="Index">The N of <c>cuda:N</c>.</param>
/// <param name="Name">The GPU's name.</param>
/// <param name="Multiprocessors">Streaming multiprocessors.</param>
/// <param name="MemoryBytes">Global memory in bytes.</param>
/// <param name="ComputeCapability">Major and minor version, e.g. <c>9.0</c>.</param>
public sealed record CudaDeviceInfo(int Index, string Name, int Multiprocessors, long MemoryBytes,
    string ComputeCapability)
{
    /// <summary>Why no GPU could be listed (no driver, a driver error); null when the query ran.</summary>
    public static string? ProbeError { get; private set; }

    internal static Lazy<IReadOnlyList<CudaDeviceInfo>> All { get; } = new(Enumerate);

    private static IReadOnlyList<CudaDeviceInfo> Enumerate()
    {
        try
        {
            using var context = Context.Create(b => b.Cuda());
            var devices = context.GetCudaDevices();
            var result = new CudaDeviceInfo[devices.Count];
            for (var i = 0; i < result.Length; i++)
            {
                var d = devices[i];
                result[i] = new CudaDeviceInfo(i, d.Name, d.NumMultiprocessors, d.MemorySize,
                    $"{d.Architecture?.Major}.{d.Architecture?.Minor}");
            }

            return result;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException
            or TypeInitializationException or CudaException or NotSupportedException)
        {
            // No libcuda (no NVIDIA driver) or a driver that refuses: there is simply no CUDA device.
            ProbeError = e.Message;
            return [];
        }
    }
}
