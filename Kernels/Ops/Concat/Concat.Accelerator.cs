using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels;

// The checked entry points of the channel copy behind concatenation and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>Copies (or, with <paramref name="accumulate"/>, adds) a block of channels from src into dst; see
    /// <see cref="ChannelCopyGeometry"/>. src and dst must be different buffers.</summary>
    public void ChannelCopy(in ChannelCopyGeometry g, DeviceBuffer src, DeviceBuffer dst, bool accumulate)
    {
        g.Validate();
        CheckRange(src, 0, g.SrcLength, nameof(src));
        CheckRange(dst, 0, g.DstLength, nameof(dst));
        if (ReferenceEquals(src, dst))
        {
            throw new ArgumentException("A channel copy needs two different buffers.", nameof(dst));
        }

        ChannelCopyCore(g, src, dst, accumulate);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void ChannelCopyCore(in ChannelCopyGeometry g, DeviceBuffer src, DeviceBuffer dst,
        bool accumulate);
#pragma warning restore CS1591
}
