using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace GpuCnn.Kernels.Ilgpu;

/// <summary>
/// One ILGPU target shared by every <see cref="IlgpuAccelerator"/> opened on it in a process: its context, its
/// runtime accelerator (one stream: the default one) and the launchers of the kernels loaded so far.
/// </summary>
/// <remarks>
/// Sharing is what makes each kernel compile once per process rather than once per accelerator object (ILGPU caches
/// compiled kernels per runtime accelerator), and it keeps one CUDA context per GPU. Launches, allocations and
/// copies take <see cref="Gate"/>, because tests open accelerators on several threads at once.
/// NOTE: ILGPU's own OpenCL backend is never registered: it needs generic address space, which PoCL and NVIDIA's
/// OpenCL lack, and probing it would look for libOpenCL.so. Our OpenCL C backend is the OpenCL path.
/// </remarks>
internal sealed class IlgpuDevice
{
    /// <summary>Threads per warp of the CPU target, as on NVIDIA GPUs, so warp-level code sees the same width.
    /// </summary>
    public const int CpuWarpSize = 32;

    private static readonly object RegistryGate = new();
    private static readonly Dictionary<string, IlgpuDevice> Opened = [];

    private readonly Dictionary<MethodInfo, Delegate> launchers = [];

    private IlgpuDevice(Context context, ILGPU.Runtime.Accelerator runtime)
    {
        Context = context;
        Runtime = runtime;
    }

    /// <summary>The ILGPU context the kernels are compiled in (with ILGPU.Algorithms enabled).</summary>
    public Context Context { get; }

    /// <summary>The runtime accelerator.</summary>
    public ILGPU.Runtime.Accelerator Runtime { get; }

    /// <summary>Serialises launches, allocations and copies of every user of this device.</summary>
    public object Gate { get; } = new();

    /// <summary>The CUDA GPU <paramref name="index"/> (an index into <see cref="IlgpuAccelerator.CudaDevices"/>).
    /// </summary>
    public static IlgpuDevice Cuda(int index) => Open($"cuda:{index}", () =>
    {
        var context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O1));
        try
        {
            var devices = context.GetCudaDevices();
            if ((uint)index >= (uint)devices.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, devices.Count == 0
                    ? "No CUDA GPU was found (ILGPU needs the NVIDIA driver's libcuda); see 'gpucnn devices'."
                    : $"There are {devices.Count} CUDA GPUs (0 to {devices.Count - 1}); see 'gpucnn devices'.");
            }

            return new IlgpuDevice(context, devices[index].CreateAccelerator(context));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    });

    /// <summary>ILGPU's CPU accelerator, built to allow groups of <see cref="IlgpuAccelerator.MaxGroupSize"/>
    /// threads (its default device allows only 16).</summary>
    public static IlgpuDevice Cpu() => Open("cpu", () =>
    {
        var cpu = new CPUDevice(CpuWarpSize, IlgpuAccelerator.MaxGroupSize / CpuWarpSize, 1);
        var context = Context.Create(b => b.CPU(cpu).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        try
        {
            return new IlgpuDevice(context, cpu.CreateAccelerator(context));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    });

    /// <summary>The launcher of an auto-grouped kernel (one thread per index), loaded on first use.</summary>
    public TLauncher AutoGrouped<TLauncher>(Delegate kernel)
        where TLauncher : Delegate =>
        Load<TLauncher>(kernel.Method, static (runtime, method) => runtime.LoadAutoGroupedKernel<TLauncher>(method));

    /// <summary>The launcher of an explicitly grouped kernel (launched with a <see cref="KernelConfig"/>), loaded
    /// on first use.</summary>
    public TLauncher Grouped<TLauncher>(Delegate kernel)
        where TLauncher : Delegate =>
        Load<TLauncher>(kernel.Method, static (runtime, method) => runtime.LoadKernel<TLauncher>(method));

    private static IlgpuDevice Open(string key, Func<IlgpuDevice> create)
    {
        lock (RegistryGate)
        {
            if (!Opened.TryGetValue(key, out var device))
            {
                device = create();
                Opened[key] = device;
            }

            return device;
        }
    }

    private TLauncher Load<TLauncher>(MethodInfo method, Func<ILGPU.Runtime.Accelerator, MethodInfo, TLauncher> load)
        where TLauncher : Delegate
    {
        lock (Gate)
        {
            if (!launchers.TryGetValue(method, out var launcher))
            {
                launcher = load(Runtime, method);
                launchers[method] = launcher;
            }

            return (TLauncher)launcher;
        }
    }
}
