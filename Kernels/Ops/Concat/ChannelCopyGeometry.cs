namespace GpuCnn.Kernels.Ops;

/// <summary>
/// A block of <see cref="Channels"/> channels copied between two NCHW tensors with the same N and Inner = H*W:
/// channels [SrcOffset, SrcOffset + Channels) of src:(N, SrcChannels, Inner) go to channels
/// [DstOffset, DstOffset + Channels) of dst:(N, DstChannels, Inner). Channel concatenation writes each input into
/// its slice of the output; its backward adds each slice of the output gradient into the input's gradient.
/// </summary>
public readonly record struct ChannelCopyGeometry(
    int N, int Inner, int Channels, int SrcChannels, int SrcOffset, int DstChannels, int DstOffset)
{
    /// <summary>Elements copied.</summary>
    public int Count => N * Channels * Inner;

    /// <summary>Elements of src.</summary>
    public int SrcLength => N * SrcChannels * Inner;

    /// <summary>Elements of dst.</summary>
    public int DstLength => N * DstChannels * Inner;

    /// <summary>Throws <see cref="ArgumentException"/> when the block does not fit either tensor.</summary>
    public void Validate()
    {
        if (N < 1 || Inner < 1 || Channels < 1)
        {
            throw new ArgumentException($"Channel copy sizes must be positive: {this}.");
        }

        if (SrcOffset < 0 || SrcOffset + Channels > SrcChannels || DstOffset < 0 || DstOffset + Channels > DstChannels)
        {
            throw new ArgumentException($"Channel copy block does not fit its tensors: {this}.");
        }
    }
}
