using System.Numerics.Tensors;
using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Kernels.Ops;

/// <summary>
/// A block of channels copied (or added) between NCHW tensors on the CPU. In each sample the block is one
/// contiguous run of Channels*Inner floats in both tensors, so the op is N span copies. A work item takes a piece of
/// one sample's run when runs are long (a batch of one large sample still spreads over the workers) and several
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
