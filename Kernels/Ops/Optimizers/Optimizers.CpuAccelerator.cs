using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's optimizer updates.
public sealed unsafe partial class CpuAccelerator
{
    private ChunkJob<SgdOperands>? sgdJob;
    private ChunkJob<AdamOperands>? adamJob;
    private ChunkJob<AdadeltaOperands>? adadeltaJob;

    // Made on first use, as every CPU kernel object is, so the op needs no line in the constructor.
    private ChunkJob<SgdOperands> SgdJob => sgdJob ??= new(workers);

    private ChunkJob<AdamOperands> AdamJob => adamJob ??= new(workers);

    private ChunkJob<AdadeltaOperands> AdadeltaJob => adadeltaJob ??= new(workers);

    /// <inheritdoc />
    protected override void SgdUpdateCore(
        in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count) =>
        OptimizersCpu.Sgd(SgdJob, s, Ptr(param), Ptr(grad), PtrOrNull(velocity), count);

    /// <inheritdoc />
    protected override void AdamUpdateCore(
        in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count) =>
        OptimizersCpu.Adam(AdamJob, s, Ptr(param), Ptr(grad), Ptr(m), Ptr(v), count);

    /// <inheritdoc />
    protected override void AdadeltaUpdateCore(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad,
        DeviceBuffer squareAvg, DeviceBuffer accDelta, int count) =>
        OptimizersCpu.Adadelta(AdadeltaJob, s, Ptr(param), Ptr(grad), Ptr(squareAvg), Ptr(accDelta), count);
}
