using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's max and average 2-d pooling: its kernels are not written yet, so these hooks refuse (see
// IlgpuPendingOps in the tests, which keeps the op off the ILGPU test row until they land).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void MaxPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        throw Pending("MaxPool2d forward");

    /// <inheritdoc />
    protected override void MaxPool2dBackwardCore(
        in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx) =>
        throw Pending("MaxPool2d backward");

    /// <inheritdoc />
    protected override void AvgPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        throw Pending("AvgPool2d forward");

    /// <inheritdoc />
    protected override void AvgPool2dBackwardCore(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        throw Pending("AvgPool2d backward");
}
