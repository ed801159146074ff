using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's op (being written).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void SgdUpdateCore(
        in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count) =>
        throw Pending("SGD");

    /// <inheritdoc />
    protected override void AdamUpdateCore(
        in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count) =>
        throw Pending("Adam");

    /// <inheritdoc />
    protected override void AdadeltaUpdateCore(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad,
        DeviceBuffer squareAvg, DeviceBuffer accDelta, int count) =>
        throw Pending("Adadelta");
}
