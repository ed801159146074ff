using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's 2-d convolution: its kernels are not written yet, so these hooks refuse (see IlgpuPendingOps in
// the tests, which keeps the op off the ILGPU test row until they land).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void Conv2dForwardCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y) =>
        throw Pending("Conv2d forward");

    /// <inheritdoc />
    protected override void Conv2dBackwardDataCore(
        in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx) =>
        throw Pending("Conv2d backward data");

    /// <inheritdoc />
    protected override void Conv2dBackwardFilterCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db) =>
        throw Pending("Conv2d backward filter");
}
