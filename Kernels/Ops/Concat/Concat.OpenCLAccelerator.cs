using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's channel copy behind concatenation.
public sealed unsafe partial class OpenCLAccelerator
{
    /// <inheritdoc />
    protected override void ChannelCopyCore(in ChannelCopyGeometry g, DeviceBuffer src, DeviceBuffer dst,
        bool accumulate) =>
        Elementwise(Call("channel_copy").Mem(src).Mem(dst).Ints(g.Inner, g.Channels, g.SrcChannels, g.SrcOffset,
            g.DstChannels, g.DstOffset, accumulate ? 1 : 0, g.Count), g.Count);
}
