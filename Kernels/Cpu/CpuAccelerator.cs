using System.Numerics.Tensors;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

/// <summary>
/// The managed accelerator: host memory, SIMD kernels and a fixed team of worker threads. Kernels run when
/// called, so <see cref="Accelerator.Synchronize"/> has nothing to wait for.
/// </summary>
public sealed unsafe class CpuAccelerator : Accelerator
{
    private readonly CpuWorkers workers;
    private readonly ChunkJob chunk;
    private readonly Conv2dCpu conv;
    private readonly Pool2dCpu pool;
    private readonly Pad2dCpu pad;
    private readonly ChannelCopyCpu channelCopy;
    private readonly BatchNormCpu batchNorm;
    private readonly LrnCpu lrn;
    private readonly GemmJob gemm = new();

    /// <summary>Creates the accelerator with one worker per logical core, or <paramref name="threads"/>.</summary>
    public CpuAccelerator(int? threads = null)
    {
        var count = threads ?? Environment.ProcessorCount;
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), count, "The CPU accelerator needs a thread.");
        }

        workers = new CpuWorkers(count);
        chunk = new ChunkJob(workers);
        conv = new Conv2dCpu(workers, new CpuScratch(count));
        pool = new Pool2dCpu(workers);
        pad = new Pad2dCpu(workers);
        channelCopy = new ChannelCopyCpu(workers);
        batchNorm = new BatchNormCpu(workers);
        lrn = new LrnCpu(workers, new CpuScratch(count));
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

    /// <inheritdoc />
    protected override void FillCore(DeviceBuffer buffer, float value, int count) =>
        Cpu(buffer).Span[..count].Fill(value);

    /// <inheritdoc />
    protected override void CopyCore(DeviceBuffer source, DeviceBuffer destination, int count) =>
        Cpu(source).Span[..count].CopyTo(Cpu(destination).Span);

    /// <inheritdoc />
    protected override void AddIntoCore(DeviceBuffer source, DeviceBuffer destination, int count)
    {
        var dst = Cpu(destination).Span[..count];
        TensorPrimitives.Add(dst, Cpu(source).Span[..count], dst);
    }

    /// <inheritdoc />
    protected override double SumOfSquaresCore(DeviceBuffer buffer, int count)
    {
        var span = Cpu(buffer).Span[..count];
        double sum = 0;
        for (var i = 0; i < span.Length; i += 4096)
        {
            var part = span.Slice(i, Math.Min(4096, span.Length - i));
            sum += TensorPrimitives.SumOfSquares(part);
        }

        return sum;
    }

    /// <inheritdoc />
    protected override void ScaleCore(DeviceBuffer buffer, float scale, int count)
    {
        var span = Cpu(buffer).Span[..count];
        TensorPrimitives.Multiply(span, scale, span);
    }

    /// <inheritdoc />
    protected override void Conv2dForwardCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y) =>
        conv.Forward(g, Ptr(x), Ptr(w), PtrOrNull(b), Ptr(y));

    /// <inheritdoc />
    protected override void Conv2dBackwardDataCore(
        in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx) =>
        conv.BackwardData(g, Ptr(dy), Ptr(w), Ptr(dx));

    /// <inheritdoc />
    protected override void Conv2dBackwardFilterCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db) =>
        conv.BackwardFilter(g, Ptr(x), Ptr(dy), Ptr(dw), PtrOrNull(db));

    /// <inheritdoc />
    protected override void MaxPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        pool.MaxForward(g, Ptr(x), Ptr(y));

    /// <inheritdoc />
    protected override void MaxPool2dBackwardCore(
        in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx) =>
        pool.MaxBackward(g, Ptr(x), Ptr(dy), Ptr(dx));

    /// <inheritdoc />
    protected override void AvgPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        pool.AvgForward(g, Ptr(x), Ptr(y));

    /// <inheritdoc />
    protected override void AvgPool2dBackwardCore(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        pool.AvgBackward(g, Ptr(dy), Ptr(dx));

    /// <inheritdoc />
    protected override void ActivationForwardCore(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count) =>
        ActivationCpu.Forward(chunk, kind, Ptr(x), Ptr(y), count);

    /// <inheritdoc />
    protected override void ActivationBackwardCore(
        ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        ActivationCpu.Backward(chunk, kind, Ptr(x), Ptr(y), Ptr(dy), Ptr(dx), count);

    /// <inheritdoc />
    protected override void SoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns) =>
        SoftmaxCpu.Forward(Ptr(x), Ptr(y), rows, columns);

    /// <inheritdoc />
    protected override void SoftmaxBackwardCore(
        DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns) =>
        SoftmaxCpu.Backward(Ptr(y), Ptr(dy), Ptr(dx), rows, columns);

    /// <inheritdoc />
    protected override void DropoutForwardCore(
        DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed) =>
        DropoutCpu.Forward(chunk, Ptr(x), Ptr(mask), Ptr(y), count, p, seed);

    /// <inheritdoc />
    protected override void DropoutBackwardCore(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        DropoutCpu.Backward(chunk, Ptr(mask), Ptr(dy), Ptr(dx), count);

    /// <inheritdoc />
    protected override void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a,
        DeviceBuffer b, float beta, DeviceBuffer c) =>
        // Leading dimensions follow BLAS: at least 1 even when a matrix is empty.
        CpuGemm.Sgemm(transA, transB, m, n, k, alpha, Ptr(a), Math.Max(1, transA ? m : k), Ptr(b),
            Math.Max(1, transB ? k : n), beta, Ptr(c), Math.Max(1, n), workers, gemm);

    /// <inheritdoc />
    protected override void BiasAddForwardCore(
        DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner) =>
        BiasCpu.Forward(Ptr(y), Ptr(bias), outer, channels, inner);

    /// <inheritdoc />
    protected override void BiasAddBackwardCore(
        DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner) =>
        BiasCpu.Backward(Ptr(dy), Ptr(db), outer, channels, inner);

    /// <inheritdoc />
    protected override void SoftmaxCrossEntropyCore(DeviceBuffer logits, DeviceBuffer labels, int rows, int classes,
        float gradScale, DeviceBuffer dlogits, DeviceBuffer stats) =>
        SoftmaxCrossEntropyCpu.Run(Ptr(logits), Ptr(labels), rows, classes, gradScale, Ptr(dlogits), Ptr(stats));

    /// <inheritdoc />
    protected override void SgdUpdateCore(
        in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count) =>
        OptimizersCpu.Sgd(chunk, s, Ptr(param), Ptr(grad), PtrOrNull(velocity), count);

    /// <inheritdoc />
    protected override void AdamUpdateCore(
        in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count) =>
        OptimizersCpu.Adam(chunk, s, Ptr(param), Ptr(grad), Ptr(m), Ptr(v), count);

    /// <inheritdoc />
    protected override void AdadeltaUpdateCore(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad,
        DeviceBuffer squareAvg, DeviceBuffer accDelta, int count) =>
        OptimizersCpu.Adadelta(chunk, s, Ptr(param), Ptr(grad), Ptr(squareAvg), Ptr(accDelta), count);

    private static CpuBuffer Cpu(DeviceBuffer buffer) => buffer as CpuBuffer ??
        throw new ArgumentException($"Expected a CPU buffer, got {buffer.GetType().Name}.", nameof(buffer));

    private static float* Ptr(DeviceBuffer buffer) => Cpu(buffer).Pointer;

    private static float* PtrOrNull(DeviceBuffer? buffer) => buffer is null ? null : Cpu(buffer).Pointer;

    /// <inheritdoc />
    protected override void BatchNormForwardTrainingCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean,
        DeviceBuffer runningVar, float momentum, float eps) =>
        batchNorm.ForwardTraining(g, Ptr(x), PtrOrNull(gamma), PtrOrNull(beta), Ptr(y), Ptr(saveMean),
            Ptr(saveInvStd), Ptr(runningMean), Ptr(runningVar), momentum, eps);

    /// <inheritdoc />
    protected override void BatchNormForwardInferenceCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps, DeviceBuffer y) =>
        batchNorm.ForwardInference(g, Ptr(x), PtrOrNull(gamma), PtrOrNull(beta), Ptr(runningMean), Ptr(runningVar),
            eps, Ptr(y));

    /// <inheritdoc />
    protected override void BatchNormBackwardCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
        DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma,
        DeviceBuffer? dbeta) =>
        batchNorm.Backward(g, Ptr(x), Ptr(dy), PtrOrNull(gamma), Ptr(saveMean), Ptr(saveInvStd), PtrOrNull(dx),
            PtrOrNull(dgamma), PtrOrNull(dbeta));

    /// <inheritdoc />
    protected override void LrnForwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale) =>
        lrn.Forward(g, Ptr(x), Ptr(y), Ptr(scale));

    /// <inheritdoc />
    protected override void LrnBackwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale,
        DeviceBuffer dy, DeviceBuffer dx) => lrn.Backward(g, Ptr(x), Ptr(y), Ptr(scale), Ptr(dy), Ptr(dx));

    // ---- padding and concatenation ----

    /// <inheritdoc />
    protected override void Pad2dForwardCore(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        pad.Forward(g, Ptr(x), Ptr(y));

    /// <inheritdoc />
    protected override void Pad2dBackwardCore(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        pad.Backward(g, Ptr(dy), Ptr(dx));

    /// <inheritdoc />
    protected override void ChannelCopyCore(in ChannelCopyGeometry g, DeviceBuffer src, DeviceBuffer dst,
        bool accumulate) => channelCopy.Run(g, Ptr(src), Ptr(dst), accumulate);
}
