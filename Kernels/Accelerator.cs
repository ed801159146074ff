namespace GpuCnn.Kernels;

/// <summary>
/// A compute device: memory, host copies and the engine's op kernels. Public methods check their arguments and
/// forward to the <c>...Core</c> hooks each backend implements. Ops are enqueued in order; only
/// <see cref="CopyToHost"/> and <see cref="Synchronize"/> wait for them.
/// </summary>
/// <remarks>
/// This file holds the device, memory, copy and synchronisation members. Each op's checked methods and hooks live
/// with its geometry and CPU kernel in <c>Kernels/Ops/&lt;Op&gt;/&lt;Op&gt;.cs</c>, and each other backend's
/// implementation beside them in <c>&lt;Op&gt;.&lt;Backend&gt;Accelerator.cs</c>: one partial class per backend
/// keeps the allocation-free hot path and the backend's private plumbing reachable without a registry or interface
/// dispatch, while an op's code for every backend sits in its own folder.
/// </remarks>
/// <remarks>
/// Backward kernels add into their gradient outputs (dX, dW, dB), so a tensor that feeds several consumers
/// collects the sum of their gradients; callers zero gradients before a backward pass.
/// </remarks>
public abstract partial class Accelerator : IDisposable
{
    private readonly BufferPool pool = new();
    private bool disposed;

    /// <summary>Human-readable device name.</summary>
    public abstract string Name { get; }

    /// <summary>The backend family.</summary>
    public abstract AcceleratorKind Kind { get; }

    /// <summary>Memory the device offers, in bytes.</summary>
    public abstract long MemoryBytes { get; }

    /// <summary>Buffers the backend has created so far; stays constant once a training loop is warm.</summary>
    public long BuffersCreated => pool.Created;

    /// <summary>Bytes held in buffers, live and pooled.</summary>
    public long BytesAllocated => pool.BytesHeld;

    /// <summary>Rents a buffer of <paramref name="length"/> floats; its contents are undefined.</summary>
    public DeviceBuffer Allocate(int length)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        return pool.Rent(length, AllocateCore);
    }

    /// <summary>Rents a buffer and fills it with zeros.</summary>
    public DeviceBuffer AllocateZeroed(int length)
    {
        var buffer = Allocate(length);
        Fill(buffer, 0f);
        return buffer;
    }

    /// <summary>Gives a buffer back to the pool for reuse.</summary>
    public void Release(DeviceBuffer buffer)
    {
        CheckOwned(buffer, nameof(buffer));
        pool.Return(buffer);
    }

    /// <summary>Copies host data into <paramref name="destination"/> starting at element <paramref name="offset"/>.
    /// </summary>
    public void CopyFromHost(ReadOnlySpan<float> source, DeviceBuffer destination, int offset = 0)
    {
        CheckRange(destination, offset, source.Length, nameof(destination));
        CopyFromHostCore(source, destination, offset);
    }

    /// <summary>Waits for queued work and copies device data into <paramref name="destination"/>.</summary>
    public void CopyToHost(DeviceBuffer source, Span<float> destination, int offset = 0)
    {
        CheckRange(source, offset, destination.Length, nameof(source));
        CopyToHostCore(source, destination, offset);
    }

    /// <summary>Waits until every queued kernel has finished.</summary>
    public void Synchronize()
    {
        ThrowIfDisposed();
        SynchronizeCore();
    }

    /// <summary>Frees every buffer it created, live or pooled, and its native handles.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var buffer in pool.Drain())
        {
            FreeCore(buffer);
        }

        DisposeCore();
        GC.SuppressFinalize(this);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods.
    protected abstract DeviceBuffer AllocateCore(int length);
    protected abstract void FreeCore(DeviceBuffer buffer);
    protected abstract void DisposeCore();
    protected abstract void CopyFromHostCore(ReadOnlySpan<float> source, DeviceBuffer destination, int offset);
    protected abstract void CopyToHostCore(DeviceBuffer source, Span<float> destination, int offset);
    protected abstract void SynchronizeCore();
#pragma warning restore CS1591

    private void CheckOwned(DeviceBuffer buffer, string name)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(buffer, name);
        if (!ReferenceEquals(buffer.Accelerator, this))
        {
            throw new ArgumentException(
                $"Buffer '{name}' belongs to {buffer.Accelerator.Name}, not to {Name}.", name);
        }

        if (buffer.IsReleased)
        {
            throw new ObjectDisposedException(name, $"Buffer '{name}' was released to the pool and must not be used.");
        }
    }

    private void CheckRange(DeviceBuffer buffer, int offset, int count, string name)
    {
        CheckOwned(buffer, name);
        if (offset < 0 || count < 0 || (long)offset + count > buffer.Length)
        {
            throw new ArgumentException(
                $"Buffer '{name}' holds {buffer.Length} floats; the op needs elements [{offset}, {offset + count}).",
                name);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);
}
