using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's the optimizer updates.
public sealed unsafe partial class CpuAccelerator
{
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
}
