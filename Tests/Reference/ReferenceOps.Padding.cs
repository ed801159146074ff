using GpuCnn.Kernels.Ops;

namespace GpuCnn.Tests.Reference;

/// <summary>Padding and channel copies, written from numpy's and PyTorch's definitions of each mode.</summary>
internal static partial class ReferenceOps
{
    // ---- padding ----

    /// <summary>
    /// The input index each position of one padded axis reads, or -1 for a constant border, built as numpy's pad
    /// builds the padded row: the border before the input, the input, the border after it, each border a slice of
    /// the input (reversed where mirrored). With a b c d and two pixels each side: reflect is c b | a b c d | c b,
    /// symmetric b a | a b c d | d c, circular c d | a b c d | a b, replicate a a | a b c d | d d.
    /// </summary>
    public static int[] PaddedAxis(int n, int before, int after, PaddingMode mode)
    {
        var inside = Enumerable.Range(0, n).ToArray();
        IEnumerable<int> head, tail;
        switch (mode)
        {
            case PaddingMode.Replicate:
                head = Enumerable.Repeat(0, before);
                tail = Enumerable.Repeat(n - 1, after);
                break;
            case PaddingMode.Reflect:
                // numpy 'reflect' = PyTorch reflect: the edge is the mirror and is not repeated.
                head = inside[1..(before + 1)].Reverse();
                tail = inside[(n - 1 - after)..(n - 1)].Reverse();
                break;
            case PaddingMode.Symmetric:
                head = inside[..before].Reverse();
                tail = inside[(n - after)..].Reverse();
                break;
            case PaddingMode.Circular:
                head = inside[(n - before)..];
                tail = inside[..after];
                break;
            default:
                head = Enumerable.Repeat(-1, before);
                tail = Enumerable.Repeat(-1, after);
                break;
        }

        return [.. head, .. inside, .. tail];
    }

    // x:(N,C,H,W) -> y:(N,C,H+top+bottom,W+left+right)
    public static double[] Pad2dForward(in Pad2dGeometry g, double[] x)
    {
        var y = new double[g.N * g.C * g.OutH * g.OutW];
        var fill = g.Mode == PaddingMode.Constant ? g.Value : 0.0;
        ForEachPadRead(g, (o, i) => y[o] = i < 0 ? fill : x[i]);
        return y;
    }

    // The adjoint: dx[i] = sum of dy over the outputs that read input element i.
    public static double[] Pad2dBackward(in Pad2dGeometry g, double[] dy)
    {
        var dx = new double[g.N * g.C * g.H * g.W];
        ForEachPadRead(g, (o, i) =>
        {
            if (i >= 0)
            {
                dx[i] += dy[o];
            }
        });
        return dx;
    }

    // Calls read(output index, input index or -1) for every output element.
    private static void ForEachPadRead(in Pad2dGeometry g, Action<int, int> read)
    {
        var rows = PaddedAxis(g.H, g.Top, g.Bottom, g.Mode);
        var columns = PaddedAxis(g.W, g.Left, g.Right, g.Mode);
        for (var plane = 0; plane < g.N * g.C; plane++)
        {
            for (var oh = 0; oh < rows.Length; oh++)
            {
                for (var ow = 0; ow < columns.Length; ow++)
                {
                    var (h, w) = (rows[oh], columns[ow]);
                    var o = (plane * rows.Length + oh) * columns.Length + ow;
                    read(o, h < 0 || w < 0 ? -1 : (plane * g.H + h) * g.W + w);
                }
            }
        }
    }

    // ---- channel copy ----

    // dst with channels [DstOffset, DstOffset + Channels) replaced by (or increased by) src's block.
    public static double[] ChannelCopy(in ChannelCopyGeometry g, double[] src, double[] dst, bool accumulate)
    {
        var result = (double[])dst.Clone();
        for (var n = 0; n < g.N; n++)
        {
            for (var c = 0; c < g.Channels; c++)
            {
                for (var i = 0; i < g.Inner; i++)
                {
                    var from = src[(n * g.SrcChannels + g.SrcOffset + c) * g.Inner + i];
                    var at = (n * g.DstChannels + g.DstOffset + c) * g.Inner + i;
                    result[at] = accumulate ? result[at] + from : from;
                }
            }
        }

        return result;
    }
}
