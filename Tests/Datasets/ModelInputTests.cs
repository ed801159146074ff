using GpuCnn.Datasets.Imaging;
using Xunit;

namespace GpuCnn.Tests.Datasets;

public sealed class ModelInputTests
{
    [Fact]
    public void ADigitSaysItsSizeColourAndWhetherItWasInverted()
    {
        // 4x2 RGB, white but for one black pixel: mostly light, so inverted; area averages of 2x2 blocks.
        var image = new Image(4, 2, 3);
        Array.Fill(image.Pixels, (byte)255);
        image.Pixels.AsSpan(0, 3).Clear();

        var input = ModelInput.Digit(image, 1, 2, mean: 0, std: 1);

        Assert.Equal("4x2 RGB -> 2x1 grey, inverted (light background)", input.Description);
        Assert.Equal([0.25f, 0f], input.Values);
        Assert.Equal("4x2 grey -> 2x1 grey",
            ModelInput.Digit(new Image(4, 2, 1), 1, 2, mean: 0, std: 1).Description);
    }

    [Fact]
    public void APlanarInputIsReadAsAnImageFolderAndNormalisedPerChannel()
    {
        // 2x1 RGBA: the alpha is dropped, nearest pixels are taken, each channel has its own mean and std.
        var image = new Image(2, 1, 4, [255, 0, 51, 7, 0, 255, 102, 9]);

        var input = ModelInput.Planar(image, 3, 1, 2, [0.5f, 0f, 0.2f], [0.5f, 1f, 0.1f]);

        Assert.Equal("2x1 RGBA -> 2x1 RGB", input.Description);
        Assert.Equal([1f, -1f, 0f, 1f, 0f, 2f], input.Values, (a, b) => Math.Abs(a - b) < 1e-5f);
        Assert.Throws<ArgumentException>(() => ModelInput.Planar(image, 3, 1, 2, [0f], [1f]));
    }
}
