using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's op (being written).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void SoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns) =>
        throw Pending("Softmax");

    /// <inheritdoc />
    protected override void SoftmaxBackwardCore(
        DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns) =>
        throw Pending("Softmax");
}
