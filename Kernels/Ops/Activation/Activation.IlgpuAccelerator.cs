using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's op (being written).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void ActivationForwardCore(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count) =>
        throw Pending("Activation");

    /// <inheritdoc />
    protected override void ActivationBackwardCore(
        ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        throw Pending("Activation");
}
