using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>Channel-block copies (concatenation's forward and backward) by hand, and the blocks they reject, on
/// every accelerator. The cases against the reference are the Concat descriptor's (Tests/Ops).</summary>
public sealed class ChannelCopyOracleTests
{
    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void SmallConcatenationByHand(string accelerator)
    {
        // Two samples, inner 2: a (1 channel) and b (2 channels) concatenated into 3 channels, then the
        // backward of b's slice accumulated into a gradient that already holds 100s.
        using var acc = Accelerators.Create(accelerator);
        var a = acc.Upload([1, 2, /* n=1 */ 3, 4]);
        var b = acc.Upload([10, 11, 12, 13, /* n=1 */ 14, 15, 16, 17]);
        var y = acc.Filled(12, -1f);
        acc.ChannelCopy(new ChannelCopyGeometry(2, 2, 1, 1, 0, 3, 0), a, y, accumulate: false);
        acc.ChannelCopy(new ChannelCopyGeometry(2, 2, 2, 2, 0, 3, 1), b, y, accumulate: false);
        Assert.Equal([1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17], y.ToArray());

        var db = acc.Filled(8, 100f);
        acc.ChannelCopy(new ChannelCopyGeometry(2, 2, 2, 3, 1, 2, 0), y, db, accumulate: true);
        Assert.Equal([110, 111, 112, 113, 114, 115, 116, 117], db.ToArray());
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void BlocksThatDoNotFitAndSharedBuffersAreRejected(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var src = acc.Filled(2 * 4 * 3, 1f);
        var dst = acc.Filled(2 * 6 * 3, 0f);
        ChannelCopyGeometry[] bad =
        [
            new(2, 3, 3, 4, 2, 6, 0), // src channels 2..4 of 4
            new(2, 3, 3, 4, 0, 6, 4), // dst channels 4..6 of 6
            new(2, 3, 2, 4, -1, 6, 0),
            new(2, 3, 0, 4, 0, 6, 0),
        ];
        foreach (var g in bad)
        {
            Assert.Throws<ArgumentException>(() => acc.ChannelCopy(g, src, dst, accumulate: false));
        }

        var same = Assert.Throws<ArgumentException>(() =>
            acc.ChannelCopy(new ChannelCopyGeometry(2, 3, 1, 6, 0, 6, 1), dst, dst, accumulate: false));
        Assert.Contains("two different buffers", same.Message);
        var tooShort = Assert.Throws<ArgumentException>(() =>
            acc.ChannelCopy(new ChannelCopyGeometry(3, 3, 1, 4, 0, 6, 0), src, dst, accumulate: false));
        Assert.Equal("src", tooShort.ParamName);
    }
}
