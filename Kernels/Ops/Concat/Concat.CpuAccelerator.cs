using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's channel copy behind concatenation.
public sealed unsafe partial class CpuAccelerator
{
    private ChannelCopyCpu? channelCopy;

    // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
    private ChannelCopyCpu ChannelCopyKernel => channelCopy ??= new ChannelCopyCpu(workers);

    /// <inheritdoc />
    protected override void ChannelCopyCore(in ChannelCopyGeometry g, DeviceBuffer src, DeviceBuffer dst,
        bool accumulate) => ChannelCopyKernel.Run(g, Ptr(src), Ptr(dst), accumulate);
}
