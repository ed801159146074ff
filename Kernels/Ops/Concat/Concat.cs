using System.Numerics.Tensors;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
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
}

namespace GpuCnn.Kernels.Cpu
{
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
}

namespace GpuCnn.Kernels.Ops
{
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

            if (SrcOffset < 0 || SrcOffset + Channels > SrcChannels
                || DstOffset < 0 || DstOffset + Channels > DstChannels)
            {
                throw new ArgumentException($"Channel copy block does not fit its tensors: {this}.");
            }
        }
    }

    /// <summary>
    /// A block of channels copied (or added) between NCHW tensors on the CPU. In each sample the block is one
    /// contiguous run of Channels*Inner floats in both tensors, so the op is N span copies. A work item takes a piece
    /// of one sample's run when runs are long (a batch of one large sample still spreads over the workers) and several
    /// whole samples when they are short.
    /// </summary>
    internal sealed unsafe class ChannelCopyCpu : IParallelJob
    {
        // Below this many floats a piece is not worth a worker's wake-up.
        private const int PieceLength = 1 << 14;
        private readonly CpuWorkers workers;
        private ChannelCopyGeometry g;
        private bool accumulate;
        private int piecesPerSample;
        private int pieceLength;
        private int samplesPerItem;
        private float* src;
        private float* dst;

        public ChannelCopyCpu(CpuWorkers workers) => this.workers = workers;

        // src:(N,SrcChannels,Inner) dst:(N,DstChannels,Inner), dst block = (or +=) src block
        public void Run(in ChannelCopyGeometry geometry, float* source, float* destination, bool add)
        {
            g = geometry;
            src = source;
            dst = destination;
            accumulate = add;
            var run = g.Channels * g.Inner;
            piecesPerSample = (run + PieceLength - 1) / PieceLength;
            pieceLength = (run + piecesPerSample - 1) / piecesPerSample;
            samplesPerItem = Math.Clamp(PieceLength / run, 1, g.N);
            workers.Run(this, (g.N + samplesPerItem - 1) / samplesPerItem * piecesPerSample);
        }

        public void Run(int index, int worker)
        {
            var first = index / piecesPerSample * samplesPerItem;
            var start = index % piecesPerSample * pieceLength;
            var length = Math.Min(pieceLength, g.Channels * g.Inner - start);
            for (int n = first, end = Math.Min(g.N, first + samplesPerItem); n < end; n++)
            {
                var from = new ReadOnlySpan<float>(
                    src + ((long)n * g.SrcChannels + g.SrcOffset) * g.Inner + start, length);
                var to = new Span<float>(dst + ((long)n * g.DstChannels + g.DstOffset) * g.Inner + start, length);
                if (accumulate)
                {
                    TensorPrimitives.Add(to, from, to);
                }
                else
                {
                    from.CopyTo(to);
                }
            }
        }
    }
}
