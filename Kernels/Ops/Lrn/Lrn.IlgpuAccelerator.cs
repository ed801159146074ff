using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's local response normalisation: its kernels are not written yet, so these hooks refuse (see
// IlgpuPendingOps in the tests, which keeps the op off the ILGPU test row until they land).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void LrnForwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale) =>
        throw Pending("LRN forward");

    /// <inheritdoc />
    protected override void LrnBackwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale,
        DeviceBuffer dy, DeviceBuffer dx) =>
        throw Pending("LRN backward");
}
