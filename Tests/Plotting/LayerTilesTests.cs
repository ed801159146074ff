using GpuCnn.Cli.Plotting;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Engine;
using Xunit;

namespace GpuCnn.Tests.Plotting;

public sealed class LayerTilesTests
{
    [Fact]
    public void SingleChannelFiltersAreOneTileEachInFilterOrder()
    {
        // w:(K=2, C=1, R=1, S=2)
        var (tiles, columns) = LayerTiles.Filters([1, 2, 3, 4], new Shape(2, 1, 1, 2));

        Assert.Equal(0, columns);
        Assert.Equal([[1f, 2f], [3f, 4f]], tiles);
    }

    [Fact]
    public void FewChannelsGiveARowOfChannelTilesPerFilter()
    {
        // w:(K=2, C=3, R=1, S=1): filter 0 is 1, 2, 3 over its channels, filter 1 is 4, 5, 6.
        var (tiles, columns) = LayerTiles.Filters([1, 2, 3, 4, 5, 6], new Shape(2, 3, 1, 1));

        Assert.Equal(3, columns);
        Assert.Equal([[1f], [2f], [3f], [4f], [5f], [6f]], tiles);
    }

    [Fact]
    public void ManyChannelsAreAveragedIntoOneTile()
    {
        // w:(K=1, C=5, R=1, S=2): channel c holds (c, 10 c).
        float[] weights = [0, 0, 1, 10, 2, 20, 3, 30, 4, 40];

        var (tiles, columns) = LayerTiles.Filters(weights, new Shape(1, 5, 1, 2));

        Assert.Equal(0, columns);
        var tile = Assert.Single(tiles);
        Assert.Equal(2f, tile[0], 5);
        Assert.Equal(20f, tile[1], 4);
    }

    [Fact]
    public void FeatureMapsSplitTheFirstSampleByChannel()
    {
        // y:(C=2, H=1, W=2) of the first sample, then a second sample that must be ignored.
        var maps = LayerTiles.FeatureMaps([1, 2, 3, 4, 9, 9, 9, 9], new Shape(2, 1, 2));

        Assert.Equal([[1f, 2f], [3f, 4f]], maps);
        Assert.Throws<ArgumentException>(() => LayerTiles.FeatureMaps(new float[4], new Shape(4)));
    }

    [Fact]
    public void ADarkDigitOnWhiteIsAveragedInvertedAndNormalised()
    {
        // 4x4 white RGB picture with its top-left 2x2 black: at 2x2 the top-left pixel is black, the rest white.
        var image = new Image(4, 4, 3);
        Array.Fill(image.Pixels, (byte)255);
        foreach (var (x, y) in new[] { (0, 0), (1, 0), (0, 1), (1, 1) })
        {
            image.Pixels.AsSpan((y * 4 + x) * 3, 3).Clear();
        }

        var input = LayerTiles.ToDigitInput(image, 2, 2, mean: 0.5f, std: 0.25f);

        // Inverted (the picture is mostly light): the dark corner becomes 1, the white rest 0.
        Assert.Equal([(1 - 0.5f) / 0.25f, -2f, -2f, -2f], input);
    }

    [Fact]
    public void TransparentPixelsCountAsWhiteAndAreaAveragesMix()
    {
        // 2x1 grey-alpha: one opaque mid-grey pixel (100), one fully transparent black one (white once composited).
        var image = new Image(2, 1, 2, [100, 255, 0, 0]);

        var input = LayerTiles.ToDigitInput(image, 1, 1, mean: 0, std: 1);

        // Mean (100 + 255) / 2 / 255 = 0.696 is mostly light, so it is inverted.
        Assert.Equal(1 - 355 / 2.0 / 255, input[0], 5);
    }

    [Fact]
    public void WiderGapsSeparateTiles()
    {
        var image = ImageGrid.Render([[0f, 1f], [1f, 0f]], 1, 2, columns: 2, separator: 7, gap: 3);

        // Two 2-pixel tiles and three 3-pixel gaps across, one pixel row and two gaps down.
        Assert.Equal((13, 7), (image.Width, image.Height));
        Assert.Equal([7, 7, 7, 0, 255, 7, 7, 7, 255, 0, 7, 7, 7], image.Row(3).ToArray());
        Assert.All(image.Row(2).ToArray(), v => Assert.Equal(7, v));
    }

    [Fact]
    public void StackedChartsKeepBothImagesInOrder()
    {
        var top = new Image(2, 1, 3, [1, 2, 3, 4, 5, 6]);
        var bottom = new Image(2, 2, 3, [.. Enumerable.Range(10, 12).Select(i => (byte)i)]);

        var both = TrainingCurves.Stack(top, bottom);

        Assert.Equal((2, 3), (both.Width, both.Height));
        Assert.Equal([1, 2, 3, 4, 5, 6], both.Row(0).ToArray());
        Assert.Equal([16, 17, 18, 19, 20, 21], both.Row(2).ToArray());
        Assert.Throws<ArgumentException>(() => TrainingCurves.Stack(top, new Image(3, 1, 3)));
    }
}
