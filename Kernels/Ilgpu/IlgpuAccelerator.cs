using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace GpuCnn.Kernels.Ilgpu;

/// <summary>
/// C# kernels compiled by ILGPU: on a CUDA GPU (PTX, through the NVIDIA driver alone) or on ILGPU's CPU
/// accelerator, which runs the same kernels with every GPU thread simulated and serves the tests. Ops only enqueue
/// on one stream; <see cref="Accelerator.CopyToHost"/>, <see cref="Accelerator.Synchronize"/> and
/// <see cref="Accelerator.SumOfSquares"/> wait for them.
/// </summary>
/// <remarks>This file holds the device plumbing (device, buffers, copies, stream); each op's kernels are in
/// <c>Kernels/Ops/&lt;Op&gt;/&lt;Op&gt;.IlgpuAccelerator.cs</c>, as static methods of a static class named after
/// the op (<c>&lt;Op&gt;IlgpuKernels</c>), launched through the cached launchers of
/// <c>IlgpuAccelerator.Launch.cs</c>.</remarks>
public sealed partial class IlgpuAccelerator : Accelerator
{
    /// <summary>The most threads one group of our kernels uses; the CPU target is built to allow exactly this.
    /// </summary>
    public const int MaxGroupSize = 256;

    private readonly IlgpuDevice device;
    private MemoryBuffer1D<float, Stride1D.Dense>? scratch;
    private long deviceBytes;

    private IlgpuAccelerator(IlgpuDevice device) => this.device = device;

    /// <summary>Opens CUDA GPU <paramref name="index"/> of <see cref="CudaDevices"/>.</summary>
    public static IlgpuAccelerator Cuda(int index = 0) => new(IlgpuDevice.Cuda(index));

    /// <summary>Opens ILGPU's CPU accelerator: the CUDA kernels run on the host with simulated threads (slow; for
    /// tests on machines without a GPU).</summary>
    public static IlgpuAccelerator Cpu() => new(IlgpuDevice.Cpu());

    /// <summary>True on a CUDA GPU, false on ILGPU's CPU accelerator.</summary>
    public bool IsCuda => device.Runtime.AcceleratorType == AcceleratorType.Cuda;

    /// <inheritdoc />
    public override string Name => IsCuda
        ? $"CUDA {device.Runtime.Name} (ILGPU)"
        : $"ILGPU CPU accelerator ({device.Runtime.MaxNumThreadsPerGroup} threads per group, simulated)";

    /// <inheritdoc />
    public override AcceleratorKind Kind => AcceleratorKind.Ilgpu;

    /// <inheritdoc />
    public override long MemoryBytes => MemoryLimitBytes ?? (IsCuda ? device.Runtime.MemorySize
        : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    /// <summary>A smaller device memory than the device reports, so that tests on the CPU accelerator reach the
    /// refusal a too-large model meets on a GPU without allocating gigabytes; null for the device's own.</summary>
    internal long? MemoryLimitBytes { get; set; }

    /// <summary>The CUDA GPUs ILGPU finds; empty without the NVIDIA driver.</summary>
    public static IReadOnlyList<CudaDeviceInfo> CudaDevices() => CudaDeviceInfo.All.Value;

    /// <summary>The threads of one group on this device (the warp multiple a grouped kernel may use).</summary>
    internal int WarpSize => device.Runtime.WarpSize;

    /// <summary>The multiprocessors of this device, for sizing grid-stride launches.</summary>
    internal int Multiprocessors => device.Runtime.NumMultiprocessors;

    /// <inheritdoc />
    protected override DeviceBuffer AllocateCore(int length)
    {
        var bytes = (long)length * sizeof(float);
        if (deviceBytes + bytes > MemoryBytes)
        {
            throw OutOfMemory(bytes, null);
        }

        MemoryBuffer1D<float, Stride1D.Dense> memory;
        try
        {
            lock (device.Gate)
            {
                memory = device.Runtime.Allocate1D<float>(length);
            }
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException)
        {
            throw OutOfMemory(bytes, e);
        }

        deviceBytes += bytes;
        return new IlgpuBuffer(this, memory);
    }

    /// <inheritdoc />
    protected override void FreeCore(DeviceBuffer buffer)
    {
        var ilgpu = (IlgpuBuffer)buffer;
        if (!ilgpu.Memory.IsDisposed)
        {
            lock (device.Gate)
            {
                // Work in flight may still read the buffer: wait before its memory goes.
                device.Runtime.DefaultStream.Synchronize();
                ilgpu.Memory.Dispose();
            }

            deviceBytes -= (long)buffer.Length * sizeof(float);
        }
    }

    /// <inheritdoc />
    protected override void DisposeCore()
    {
        // The device, its context and its loaded kernels are shared by the process (see IlgpuDevice); this
        // accelerator's buffers were freed before this call.
        DisposeScratch();
    }

    /// <inheritdoc />
    protected override void CopyFromHostCore(ReadOnlySpan<float> source, DeviceBuffer destination, int offset)
    {
        if (source.IsEmpty)
        {
            return;
        }

        lock (device.Gate)
        {
            // Synchronous: the span's memory is only ours for the duration of the call.
            var stream = device.Runtime.DefaultStream;
            View(destination).SubView(offset, source.Length).CopyFromCPU(stream, source);
            stream.Synchronize();
        }
    }

    /// <inheritdoc />
    protected override void CopyToHostCore(DeviceBuffer source, Span<float> destination, int offset)
    {
        lock (device.Gate)
        {
            var stream = device.Runtime.DefaultStream;
            if (!destination.IsEmpty)
            {
                View(source).SubView(offset, destination.Length).CopyToCPU(stream, destination);
            }

            stream.Synchronize();
        }
    }

    /// <inheritdoc />
    protected override void SynchronizeCore()
    {
        lock (device.Gate)
        {
            device.Runtime.DefaultStream.Synchronize();
        }
    }

    /// <summary>The whole of an ILGPU buffer, as a kernel argument.</summary>
    private static ArrayView<float> View(DeviceBuffer buffer) => buffer is IlgpuBuffer ilgpu ? ilgpu.View
        : throw new ArgumentException($"Expected an ILGPU buffer, got {buffer.GetType().Name}.", nameof(buffer));

    /// <summary>An optional buffer's view, or an empty view that a kernel must not touch (pass a flag with it).
    /// </summary>
    private static ArrayView<float> ViewOrEmpty(DeviceBuffer? buffer) =>
        buffer is null ? ArrayView<float>.Empty : View(buffer);

    /// <summary>Groups of <paramref name="size"/> threads covering <paramref name="count"/> threads.</summary>
    private static int Groups(long count, int size) => checked((int)((count + size - 1) / size));

    /// <summary>The refusal of an op whose ILGPU kernels are not written yet.</summary>
    private static NotImplementedException Pending(string op) => new($"{op}: ILGPU kernel pending.");

    // Grow-only working memory for partial results; the one in-order stream makes reuse across ops safe.
    private ArrayView<float> Scratch(long floats)
    {
        if (scratch is null || scratch.Length < floats)
        {
            DisposeScratch();
            var bytes = floats * sizeof(float);
            if (deviceBytes + bytes > MemoryBytes)
            {
                throw OutOfMemory(bytes, null);
            }

            lock (device.Gate)
            {
                scratch = device.Runtime.Allocate1D<float>(floats);
            }

            deviceBytes += bytes;
        }

        return scratch.View;
    }

    private void DisposeScratch()
    {
        if (scratch is not null)
        {
            lock (device.Gate)
            {
                device.Runtime.DefaultStream.Synchronize();
                scratch.Dispose();
            }

            deviceBytes -= scratch.Length * sizeof(float);
            scratch = null;
        }
    }

    private DeviceMemoryException OutOfMemory(long bytes, Exception? inner) => new(
        $"{Name} cannot allocate a buffer of {bytes:N0} bytes: {deviceBytes:N0} bytes are in use of " +
        $"{MemoryBytes:N0} bytes of device memory. Use a smaller model or batch, or a device with more memory.",
        bytes, inner);
}
