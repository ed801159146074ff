using GpuCnn.Cli.Plotting;
using Xunit;

namespace GpuCnn.Tests.Plotting;

public sealed class ImageGridTests
{
    [Fact]
    public void TilesAreNormalisedEachToItsOwnRangeWithSeparators()
    {
        float[] small = [-0.01f, 0f, 0.01f, 0.005f];
        float[] large = [100f, 300f, 200f, 100f];
        float[] flat = [7f, 7f, 7f, 7f];

        var image = ImageGrid.Render([small, large, flat], 2, 2, columns: 2, separator: 64);

        // Two cells of 2 pixels plus three separators across, two rows of cells down.
        Assert.Equal((7, 7, 1), (image.Width, image.Height, image.Channels));
        byte[] expected =
        [
            64, 64, 64, 64, 64, 64, 64,
            64, 0, 128, 64, 0, 255, 64,
            64, 255, 191, 64, 128, 0, 64,
            64, 64, 64, 64, 64, 64, 64,
            64, 128, 128, 64, 64, 64, 64,
            64, 128, 128, 64, 64, 64, 64,
            64, 64, 64, 64, 64, 64, 64,
        ];
        Assert.Equal(expected, image.Pixels);
    }

    [Fact]
    public void ScaleEnlargesEachValue()
    {
        var image = ImageGrid.Render([[0f, 1f]], 1, 2, scale: 3);

        Assert.Equal((8, 5), (image.Width, image.Height));
        Assert.Equal([0, 0, 0, 255, 255, 255], image.Row(2)[1..7].ToArray());
    }

    [Fact]
    public void TileOfWrongSizeIsNamed()
    {
        var error = Assert.Throws<ArgumentException>(() => ImageGrid.Render([new float[4], new float[3]], 2, 2));

        Assert.Contains("Tile 1 holds 3 values", error.Message);
    }
}
