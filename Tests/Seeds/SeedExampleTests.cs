using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;
using Xunit;

namespace GpuCnn.Tests.Seeds;

/// <summary>The worked examples of the lecture notes, computed by the engine's kernels.</summary>
public sealed class SeedExampleTests : IDisposable
{
    private readonly CpuAccelerator acc = new();

    public void Dispose() => acc.Dispose();

    [Fact]
    public void EightByEightImageWithThreeByThreeFilterGives1116Then1336()
    {
        float[] image =
        [
            32, 27, 33, 12, 18, 29, 37, 27,
            29, 18, 28, 16, 27, 18, 29, 30,
            2, 33, 66, 155, 160, 23, 32, 28,
            32, 27, 99, 180, 192, 86, 199, 100,
            47, 90, 180, 190, 170, 30, 21, 39,
            13, 100, 143, 195, 37, 29, 22, 26,
            33, 142, 16, 28, 28, 26, 28, 30,
            149, 27, 26, 17, 29, 30, 29, 27,
        ];
        float[] filter = [1, 0, 12, 2, 15, 1, 1, 10, 0];

        var y = Conv(new Conv2dGeometry(1, 1, 8, 8, 1, 3, 3), image, filter);

        Assert.Equal(36, y.Length);
        Assert.Equal(1116f, y[0]);
        Assert.Equal(1336f, y[1]);
    }

    [Fact]
    public void BoxFilterInOneDimensionValidAndZeroPadded()
    {
        float[] f = [4, 3, 2, -5, 3, 5, 2, 5, 5, 6];
        float[] g = [1f / 3, 1f / 3, 1f / 3];

        var valid = Conv(new Conv2dGeometry(1, 1, 1, 10, 1, 1, 3), f, g);
        var padded = Conv(new Conv2dGeometry(1, 1, 1, 10, 1, 1, 3, PadLeft: 1, PadRight: 1), f, g);

        AssertClose([3, 0, 0, 1, 10f / 3, 4, 4, 16f / 3], valid);
        AssertClose([7f / 3, 3, 0, 0, 1, 10f / 3, 4, 4, 16f / 3, 11f / 3], padded);
    }

    [Fact]
    public void SharpenKernelOnFiveByFiveImage()
    {
        float[] image =
        [
            -5, 3, 2, -5, 3,
            4, 3, 2, 1, -3,
            1, 0, 3, 3, 5,
            -2, 0, 1, 4, 4,
            5, 6, 7, 9, 1,
        ];
        float[] sharpen = [0, -1, 0, -1, 5, -1, 0, -1, 0];

        var y = Conv(new Conv2dGeometry(1, 1, 5, 5, 1, 3, 3), image, sharpen);

        Assert.Equal([6f, 1, 8, -7, 9, 2, -5, -9, 3], y);
    }

    [Fact]
    public void ThreeChannelExampleWithBiasOneGivesMinus25()
    {
        // The visible 5x5 corner of each channel; zero padding 1 supplies the border the notes draw.
        float[] red = [156, 155, 156, 158, 158, 153, 154, 157, 159, 159, 149, 151, 155, 158, 159, 146, 146, 149, 153,
            158, 145, 143, 143, 148, 158];
        float[] green = [167, 166, 167, 169, 169, 164, 165, 168, 170, 170, 160, 162, 166, 169, 170, 156, 156, 159,
            163, 168, 155, 153, 153, 158, 168];
        float[] blue = [163, 162, 163, 165, 165, 160, 161, 164, 166, 166, 156, 158, 162, 165, 166, 155, 155, 158,
            162, 167, 154, 152, 152, 157, 167];
        float[] kernels = [-1, -1, 1, 0, 1, -1, 0, 1, 1, 1, 0, 0, 1, -1, -1, 1, 0, -1, 0, 1, 1, 0, 1, 0, 1, -1, 1];
        var g = new Conv2dGeometry(1, 3, 5, 5, 1, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);

        var y = Conv(g, [.. red, .. green, .. blue], kernels, bias: [1]);

        Assert.Equal(-25f, y[0]);
        // Each channel's own contribution, as the notes list them: 308, -498 and 164.
        Assert.Equal(308f, Conv(g with { C = 1 }, red, kernels[..9])[0]);
        Assert.Equal(-498f, Conv(g with { C = 1 }, green, kernels[9..18])[0]);
        Assert.Equal(164f, Conv(g with { C = 1 }, blue, kernels[18..])[0]);
    }

    [Fact]
    public void MaxAndAveragePoolingTwoByTwoStrideTwo()
    {
        float[] slice = [3, 1, 3, 5, 6, 0, 7, 9, 3, 2, 1, 4, 0, 2, 4, 3];
        var g = new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2);
        using var x = Upload(slice);
        using var y = new Owned(acc, 4);

        acc.MaxPool2dForward(g, x.Buffer, y.Buffer);
        Assert.Equal([6f, 9, 3, 4], y.Buffer.ToArray());

        acc.AvgPool2dForward(g, x.Buffer, y.Buffer);
        Assert.Equal([2.5f, 6, 1.75f, 3], y.Buffer.ToArray());
    }

    [Theory]
    [InlineData(7, 0, 3, 1, 5)]
    [InlineData(7, 0, 3, 2, 3)]
    [InlineData(7, 0, 3, 3, 2)] // (7-3)/3 + 1 = 2.33: the floor keeps 2
    [InlineData(7, 1, 3, 1, 7)]
    [InlineData(32, 2, 5, 1, 32)]
    [InlineData(32, 0, 5, 1, 28)]
    [InlineData(28, 0, 5, 1, 24)]
    [InlineData(227, 0, 11, 4, 55)]
    public void OutputSizeFollowsTheFloorFormula(int n, int p, int f, int s, int expected)
    {
        Assert.Equal(expected, Conv2dGeometry.OutputSize(n, 2 * p, f, s));

        // The same number from a built graph, so shape inference uses the formula too.
        var g = new GraphBuilder();
        var y = g.Conv2d(g.Input(new Shape(1, n, n)), 1, f, s, p);
        using var net = g.Build(y, acc, maxBatch: 1);
        Assert.Equal(new Shape(1, expected, expected), net.OutputShape);
    }

    [Fact]
    public void TenFiveByFiveFiltersOnRgb32HaveSevenHundredSixtyParameters()
    {
        var g = new GraphBuilder();
        var y = g.Conv2d(g.Input(new Shape(3, 32, 32)), 10, 5, padding: 2);
        using var net = g.Build(y, acc, maxBatch: 1);

        Assert.Equal(760, net.ParameterCount);
        Assert.Equal("32x32x10", net.OutputShape.ToVolumeString());
        // One filter spans the full depth: 5*5*3 = 75 weights plus a bias.
        Assert.Equal(new Shape(10, 3, 5, 5), net.Parameter("conv1.weight").Shape);
    }

    [Fact]
    public void FourFiltersOfSizeFiveOnRgbHaveWeightShapeFourThreeFiveFive()
    {
        var g = new GraphBuilder();
        var y = g.Conv2d(g.Input(new Shape(3, 28, 28)), 4, 5);
        using var net = g.Build(y, acc, maxBatch: 1);

        Assert.Equal(new Shape(4, 3, 5, 5), net.Parameter("conv1.weight").Shape);
        Assert.Equal(new Shape(4, 24, 24), net.OutputShape);
    }

    [Fact]
    public void AlexNetConv1On227Gives55x55x96With34944Parameters()
    {
        var g = new GraphBuilder();
        var y = g.Conv2d(g.Input(new Shape(3, 227, 227)), 96, 11, stride: 4);
        using var net = g.Build(y, acc, maxBatch: 1);

        Assert.Equal("55x55x96", net.OutputShape.ToVolumeString());
        Assert.Equal(34_944, net.ParameterCount);
        // Multiply-adds per the seed formula M*O*O*F*F*d.
        Assert.Equal(96L * 55 * 55 * 11 * 11 * 3, ModelSummary.Of(net).TotalMultiplyAdds);
    }

    [Fact]
    public void KerasSameWithEvenKernelPadsBottomAndRight()
    {
        var (begin, end) = Padding2d.Same.Resolve(13, 2, 1, 1, vertical: true);
        Assert.Equal((0, 1), (begin, end));
        var (b3, e3) = Padding2d.Same.Resolve(28, 3, 2, 1, vertical: true);
        Assert.Equal((0, 1), (b3, e3)); // out 14: (14-1)*2 + 3 - 28 = 1
    }

    private float[] Conv(Conv2dGeometry g, float[] x, float[] w, float[]? bias = null)
    {
        using var xb = Upload(x);
        using var wb = Upload(w);
        using var bb = bias is null ? null : Upload(bias);
        using var yb = new Owned(acc, g.OutputLength);
        acc.Conv2dForward(g, xb.Buffer, wb.Buffer, bb?.Buffer, yb.Buffer);
        return yb.Buffer.ToArray();
    }

    private Owned Upload(float[] data)
    {
        var owned = new Owned(acc, data.Length);
        acc.CopyFromHost(data, owned.Buffer);
        return owned;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f, $"[{i}] expected {expected[i]}, got {actual[i]}");
        }
    }

    private sealed class Owned(Accelerator accelerator, int length) : IDisposable
    {
        public DeviceBuffer Buffer { get; } = accelerator.Allocate(length);

        public void Dispose() => Buffer.Release();
    }
}
