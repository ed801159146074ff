using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's op (being written).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void BiasAddForwardCore(
        DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner) =>
        throw Pending("Bias");

    /// <inheritdoc />
    protected override void BiasAddBackwardCore(
        DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner) =>
        throw Pending("Bias");
}
