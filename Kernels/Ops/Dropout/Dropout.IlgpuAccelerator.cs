using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's op (being written).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void DropoutForwardCore(
        DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed) =>
        throw Pending("Dropout");

    /// <inheritdoc />
    protected override void DropoutBackwardCore(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        throw Pending("Dropout");
}
