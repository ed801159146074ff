namespace GpuCnn.Kernels.Cpu;

/// <summary>
/// The managed accelerator: host memory, SIMD kernels and a fixed team of worker threads. Kernels run when
/// called, so <see cref="Accelerator.Synchronize"/> has nothing to wait for.
/// </summary>
/// <remarks>This file holds the device plumbing; each op's kernels are bound in
/// <c>Kernels/Ops/&lt;Op&gt;/&lt;Op&gt;.cs</c>, beside the op's checked methods and its CPU kernel.</remarks>
public sealed unsafe partial class CpuAccelerator : Accelerator
{
    private readonly CpuWorkers workers;

    /// <summary>Creates the accelerator with one worker per logical core, or <paramref name="threads"/>.</summary>
    public CpuAccelerator(int? threads = null)
    {
        var count = threads ?? Environment.ProcessorCount;
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), count, "The CPU accelerator needs a thread.");
        }

        workers = new CpuWorkers(count);
    }

    /// <inheritdoc />
    public override string Name => $"CPU ({workers.Count} threads, {SimdName})";

    /// <inheritdoc />
    public override AcceleratorKind Kind => AcceleratorKind.Cpu;

    /// <inheritdoc />
    public override long MemoryBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Worker threads, the calling one included.</summary>
    public int Threads => workers.Count;

    private static string SimdName => System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? "AVX-512"
        : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "AVX2" : "scalar";

    /// <summary>A span over a CPU buffer's memory, for callers that share the host with this accelerator.</summary>
    public static Span<float> AsSpan(DeviceBuffer buffer) => Cpu(buffer).Span;

    /// <inheritdoc />
    protected override DeviceBuffer AllocateCore(int length) => new CpuBuffer(this, length);

    /// <inheritdoc />
    protected override void FreeCore(DeviceBuffer buffer)
    {
        // Pinned arrays go back to the garbage collector with the buffer object.
    }

    /// <inheritdoc />
    protected override void DisposeCore() => workers.Dispose();

    /// <inheritdoc />
    protected override void CopyFromHostCore(ReadOnlySpan<float> source, DeviceBuffer destination, int offset) =>
        source.CopyTo(Cpu(destination).Span[offset..]);

    /// <inheritdoc />
    protected override void CopyToHostCore(DeviceBuffer source, Span<float> destination, int offset) =>
        Cpu(source).Span.Slice(offset, destination.Length).CopyTo(destination);

    /// <inheritdoc />
    protected override void SynchronizeCore()
    {
    }

    private static CpuBuffer Cpu(DeviceBuffer buffer) => buffer as CpuBuffer ??
        throw new ArgumentException($"Expected a CPU buffer, got {buffer.GetType().Name}.", nameof(buffer));

    private static float* Ptr(DeviceBuffer buffer) => Cpu(buffer).Pointer;

    private static float* PtrOrNull(DeviceBuffer? buffer) => buffer is null ? null : Cpu(buffer).Pointer;
}
