using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's op (being written).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void Pad2dForwardCore(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        throw Pending("Pad2d");

    /// <inheritdoc />
    protected override void Pad2dBackwardCore(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        throw Pending("Pad2d");
}
