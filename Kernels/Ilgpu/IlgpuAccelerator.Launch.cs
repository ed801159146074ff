using ILGPU;
using ILGPU.Runtime;

namespace GpuCnn.Kernels.Ilgpu;

// Typed launches, one overload per argument count: each loads its kernel once per device (IlgpuDevice caches the
// launchers by method) and enqueues it on the device's one stream. `Launch` runs an auto-grouped kernel (first
// parameter Index1D) with one thread per index of the extent; `LaunchGrouped` runs an explicitly grouped kernel
// (Grid/Group intrinsics, shared memory, barriers) with the grid and group sizes of a KernelConfig.
public sealed partial class IlgpuAccelerator
{
    private void Launch<T1>(Action<Index1D, T1> kernel, long extent, T1 a1)
        where T1 : struct
    {
        if (extent <= 0)
        {
            return;
        }

        var launcher = device.AutoGrouped<Action<AcceleratorStream, Index1D, T1>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, checked((int)extent), a1);
        }
    }

    private void Launch<T1, T2>(Action<Index1D, T1, T2> kernel, long extent, T1 a1, T2 a2)
        where T1 : struct
        where T2 : struct
    {
        if (extent <= 0)
        {
            return;
        }

        var launcher = device.AutoGrouped<Action<AcceleratorStream, Index1D, T1, T2>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, checked((int)extent), a1, a2);
        }
    }

    private void Launch<T1, T2, T3>(Action<Index1D, T1, T2, T3> kernel, long extent, T1 a1, T2 a2, T3 a3)
        where T1 : struct
        where T2 : struct
        where T3 : struct
    {
        if (extent <= 0)
        {
            return;
        }

        var launcher = device.AutoGrouped<Action<AcceleratorStream, Index1D, T1, T2, T3>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, checked((int)extent), a1, a2, a3);
        }
    }

    private void Launch<T1, T2, T3, T4>(Action<Index1D, T1, T2, T3, T4> kernel, long extent, T1 a1, T2 a2, T3 a3, T4 a4)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
    {
        if (extent <= 0)
        {
            return;
        }

        var launcher = device.AutoGrouped<Action<AcceleratorStream, Index1D, T1, T2, T3, T4>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, checked((int)extent), a1, a2, a3, a4);
        }
    }

    private void Launch<T1, T2, T3, T4, T5>(
        Action<Index1D, T1, T2, T3, T4, T5> kernel, long extent, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
    {
        if (extent <= 0)
        {
            return;
        }

        var launcher = device.AutoGrouped<Action<AcceleratorStream, Index1D, T1, T2, T3, T4, T5>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, checked((int)extent), a1, a2, a3, a4, a5);
        }
    }

    private void Launch<T1, T2, T3, T4, T5, T6>(
        Action<Index1D, T1, T2, T3, T4, T5, T6> kernel, long extent, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
    {
        if (extent <= 0)
        {
            return;
        }

        var launcher = device.AutoGrouped<Action<AcceleratorStream, Index1D, T1, T2, T3, T4, T5, T6>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, checked((int)extent), a1, a2, a3, a4, a5, a6);
        }
    }

    private void Launch<T1, T2, T3, T4, T5, T6, T7>(
        Action<Index1D, T1, T2, T3, T4, T5, T6, T7> kernel,
        long extent, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
    {
        if (extent <= 0)
        {
            return;
        }

        var launcher = device.AutoGrouped<Action<AcceleratorStream, Index1D, T1, T2, T3, T4, T5, T6, T7>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, checked((int)extent), a1, a2, a3, a4, a5, a6, a7);
        }
    }

    private void Launch<T1, T2, T3, T4, T5, T6, T7, T8>(
        Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8> kernel,
        long extent, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
    {
        if (extent <= 0)
        {
            return;
        }

        var launcher = device.AutoGrouped<Action<AcceleratorStream, Index1D, T1, T2, T3, T4, T5, T6, T7, T8>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, checked((int)extent), a1, a2, a3, a4, a5, a6, a7, a8);
        }
    }

    private void Launch<T1, T2, T3, T4, T5, T6, T7, T8, T9>(
        Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel,
        long extent, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        where T9 : struct
    {
        if (extent <= 0)
        {
            return;
        }

        var launcher = device.AutoGrouped<
            Action<AcceleratorStream, Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, checked((int)extent), a1, a2, a3, a4, a5, a6, a7, a8, a9);
        }
    }

    private void Launch<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(
        Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel,
        long extent, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        where T9 : struct
        where T10 : struct
    {
        if (extent <= 0)
        {
            return;
        }

        var launcher = device.AutoGrouped<
            Action<AcceleratorStream, Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, checked((int)extent), a1, a2, a3, a4, a5, a6, a7, a8, a9, a10);
        }
    }

    private void LaunchGrouped<T1>(Action<T1> kernel, KernelConfig config, T1 a1)
        where T1 : struct
    {
        if (config.GridDim.Size <= 0 || config.GroupDim.Size <= 0)
        {
            return;
        }

        var launcher = device.Grouped<Action<AcceleratorStream, KernelConfig, T1>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, config, a1);
        }
    }

    private void LaunchGrouped<T1, T2>(Action<T1, T2> kernel, KernelConfig config, T1 a1, T2 a2)
        where T1 : struct
        where T2 : struct
    {
        if (config.GridDim.Size <= 0 || config.GroupDim.Size <= 0)
        {
            return;
        }

        var launcher = device.Grouped<Action<AcceleratorStream, KernelConfig, T1, T2>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, config, a1, a2);
        }
    }

    private void LaunchGrouped<T1, T2, T3>(Action<T1, T2, T3> kernel, KernelConfig config, T1 a1, T2 a2, T3 a3)
        where T1 : struct
        where T2 : struct
        where T3 : struct
    {
        if (config.GridDim.Size <= 0 || config.GroupDim.Size <= 0)
        {
            return;
        }

        var launcher = device.Grouped<Action<AcceleratorStream, KernelConfig, T1, T2, T3>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, config, a1, a2, a3);
        }
    }

    private void LaunchGrouped<T1, T2, T3, T4>(
        Action<T1, T2, T3, T4> kernel, KernelConfig config, T1 a1, T2 a2, T3 a3, T4 a4)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
    {
        if (config.GridDim.Size <= 0 || config.GroupDim.Size <= 0)
        {
            return;
        }

        var launcher = device.Grouped<Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, config, a1, a2, a3, a4);
        }
    }

    private void LaunchGrouped<T1, T2, T3, T4, T5>(
        Action<T1, T2, T3, T4, T5> kernel, KernelConfig config, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
    {
        if (config.GridDim.Size <= 0 || config.GroupDim.Size <= 0)
        {
            return;
        }

        var launcher = device.Grouped<Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, config, a1, a2, a3, a4, a5);
        }
    }

    private void LaunchGrouped<T1, T2, T3, T4, T5, T6>(
        Action<T1, T2, T3, T4, T5, T6> kernel, KernelConfig config, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
    {
        if (config.GridDim.Size <= 0 || config.GroupDim.Size <= 0)
        {
            return;
        }

        var launcher = device.Grouped<Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, config, a1, a2, a3, a4, a5, a6);
        }
    }

    private void LaunchGrouped<T1, T2, T3, T4, T5, T6, T7>(
        Action<T1, T2, T3, T4, T5, T6, T7> kernel, KernelConfig config, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
    {
        if (config.GridDim.Size <= 0 || config.GroupDim.Size <= 0)
        {
            return;
        }

        var launcher = device.Grouped<Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, config, a1, a2, a3, a4, a5, a6, a7);
        }
    }

    private void LaunchGrouped<T1, T2, T3, T4, T5, T6, T7, T8>(
        Action<T1, T2, T3, T4, T5, T6, T7, T8> kernel,
        KernelConfig config, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
    {
        if (config.GridDim.Size <= 0 || config.GroupDim.Size <= 0)
        {
            return;
        }

        var launcher = device.Grouped<Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, config, a1, a2, a3, a4, a5, a6, a7, a8);
        }
    }

    private void LaunchGrouped<T1, T2, T3, T4, T5, T6, T7, T8, T9>(
        Action<T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel,
        KernelConfig config, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        where T9 : struct
    {
        if (config.GridDim.Size <= 0 || config.GroupDim.Size <= 0)
        {
            return;
        }

        var launcher = device.Grouped<
            Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, config, a1, a2, a3, a4, a5, a6, a7, a8, a9);
        }
    }

    private void LaunchGrouped<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(
        Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel,
        KernelConfig config, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        where T9 : struct
        where T10 : struct
    {
        if (config.GridDim.Size <= 0 || config.GroupDim.Size <= 0)
        {
            return;
        }

        var launcher = device.Grouped<
            Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10);
        }
    }

    private void LaunchGrouped<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(
        Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> kernel,
        KernelConfig config, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10, T11 a11)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        where T9 : struct
        where T10 : struct
        where T11 : struct
    {
        if (config.GridDim.Size <= 0 || config.GroupDim.Size <= 0)
        {
            return;
        }

        var launcher = device.Grouped<
            Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
        }
    }

    private void LaunchGrouped<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(
        Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> kernel,
        KernelConfig config, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10, T11 a11, T12 a12)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
        where T8 : struct
        where T9 : struct
        where T10 : struct
        where T11 : struct
        where T12 : struct
    {
        if (config.GridDim.Size <= 0 || config.GroupDim.Size <= 0)
        {
            return;
        }

        var launcher = device.Grouped<
            Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>>(kernel);
        lock (device.Gate)
        {
            launcher(device.Runtime.DefaultStream, config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12);
        }
    }
}
