using GpuCnn.Kernels.Ops;
using ILGPU;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's channel copy behind concatenation.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void ChannelCopyCore(in ChannelCopyGeometry g, DeviceBuffer src, DeviceBuffer dst,
        bool accumulate)
    {
        Action<Index1D, ArrayView<float>, ArrayView<float>, ChannelCopyGeometry> kernel = accumulate
            ? ConcatIlgpuKernels.ChannelAdd
            : ConcatIlgpuKernels.ChannelCopy;
        Launch(kernel, g.Count, View(src), View(dst), g);
    }
}

/// <summary>A block of channels between NCHW tensors (see <see cref="ChannelCopyGeometry"/>), one thread per
/// element of the block, copied or added.</summary>
internal static class ConcatIlgpuKernels
{
    public static void ChannelCopy(Index1D i, ArrayView<float> src, ArrayView<float> dst, ChannelCopyGeometry g) =>
        dst[DstIndex(i, g)] = src[SrcIndex(i, g)];

    public static void ChannelAdd(Index1D i, ArrayView<float> src, ArrayView<float> dst, ChannelCopyGeometry g) =>
        dst[DstIndex(i, g)] += src[SrcIndex(i, g)];

    // Element i of the block: sample n = i / run, offset r = i % run within the sample's run of channels.
    private static int SrcIndex(int i, ChannelCopyGeometry g)
    {
        int run = g.Channels * g.Inner, n = i / run, r = i - n * run;
        return (n * g.SrcChannels + g.SrcOffset) * g.Inner + r;
    }

    private static int DstIndex(int i, ChannelCopyGeometry g)
    {
        int run = g.Channels * g.Inner, n = i / run, r = i - n * run;
        return (n * g.DstChannels + g.DstOffset) * g.Inner + r;
    }
}
