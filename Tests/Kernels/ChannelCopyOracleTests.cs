using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>Channel-block copies (concatenation's forward and backward) against the reference on every
/// accelerator: the block lands in its slice, the other channels of dst are left alone, and accumulate adds.
/// </summary>
public sealed class ChannelCopyOracleTests
{
    internal static readonly Dictionary<string, ChannelCopyGeometry> Cases = new()
    {
        // Concat's forward: a whole input into the middle of the output.
        ["into-middle-slice"] = new(3, 20, 4, 4, 0, 10, 3),
        // Concat's backward: a slice of the output gradient into a whole input gradient.
        ["out-of-last-slice"] = new(3, 20, 4, 10, 6, 4, 0),
        ["slice-to-slice"] = new(2, 7, 3, 7, 2, 9, 5),
        ["whole-tensor"] = new(2, 6, 5, 5, 0, 5, 0),
        // After global pooling: one value per channel.
        ["inner-1"] = new(5, 1, 3, 8, 4, 6, 1),
        ["one-channel-first"] = new(4, 12, 1, 3, 0, 5, 0),
        // Long runs: the CPU cuts one sample's block into pieces.
        ["long-runs"] = new(2, 64 * 64, 9, 12, 3, 16, 7),
        // Short runs: the CPU gives one worker several samples.
        ["many-short-samples"] = new(40, 9, 2, 3, 1, 6, 4),
    };

    public static TheoryData<string, string> Data => Accelerators.Cross(Cases.Keys);

    [Theory]
    [MemberData(nameof(Data))]
    public void CopyWritesTheBlockAndNothingElse(string accelerator, string name)
    {
        var g = Cases[name];
        var (src, dst) = (RandomTensors.Uniform(g.SrcLength, 1), RandomTensors.Uniform(g.DstLength, 2));
        using var acc = Accelerators.Create(accelerator);
        var output = acc.Upload(dst);
        acc.ChannelCopy(g, acc.Upload(src), output, accumulate: false);

        TensorAssert.Close(ReferenceOps.ChannelCopy(g, src.ToDouble(), dst.ToDouble(), false), output.ToArray(), 0, 0,
            $"channel copy {name}");
    }

    [Theory]
    [MemberData(nameof(Data))]
    public void AccumulateAddsTheBlockAndNothingElse(string accelerator, string name)
    {
        var g = Cases[name];
        var (src, dst) = (RandomTensors.Uniform(g.SrcLength, 3), RandomTensors.Uniform(g.DstLength, 4));
        using var acc = Accelerators.Create(accelerator);
        var output = acc.Upload(dst);
        acc.ChannelCopy(g, acc.Upload(src), output, accumulate: true);

        // One float addition per element: at most half an ulp of a value below 2.
        TensorAssert.Close(ReferenceOps.ChannelCopy(g, src.ToDouble(), dst.ToDouble(), true), output.ToArray(),
            1.2e-7, 0, $"channel accumulate {name}");
    }

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
