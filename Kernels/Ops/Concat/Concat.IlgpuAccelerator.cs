using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's op (being written).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void ChannelCopyCore(in ChannelCopyGeometry g, DeviceBuffer src, DeviceBuffer dst,
        bool accumulate) =>
        throw Pending("ChannelCopy");
}
