using GpuCnn.Datasets;
using GpuCnn.Datasets.Imaging;
using Xunit;

namespace GpuCnn.Tests.Datasets;

public sealed class TransferDataTests
{
    [Fact]
    public void SelectClassesKeepsTheDigitsAndRelabelsThemByPosition()
    {
        byte[] labels = [5, 0, 9, 7, 3, 5];
        var pixels = labels.Select(l => (byte)(l * 10)).ToArray(); // 1x1 images that remember their digit
        var data = new MnistDataset(pixels, labels, 1, 1);

        var subset = data.SelectClasses([5, 6, 7, 8, 9]);

        Assert.Equal([0, 4, 2, 0], subset.Labels);
        Assert.Equal([50, 90, 70, 50], subset.Pixels);
        Assert.Equal([5, 0, 9, 7, 3, 5], data.Labels);
        Assert.Throws<ArgumentException>(() => data.SelectClasses([1, 1]));
    }

    [Fact]
    public void GreyInputCompositesAlphaOverBlackAndAveragesWhenShrinking()
    {
        // 4x2 RGBA: an opaque white 2x2 block, then a half-transparent pure-green 2x2 block.
        var image = new Image(4, 2, 4);
        for (var y = 0; y < 2; y++)
        {
            image.Row(y)[..8].Fill(255);
            for (var x = 2; x < 4; x++)
            {
                image.Row(y)[x * 4 + 1] = 255;
                image.Row(y)[x * 4 + 3] = 128;
            }
        }

        // Green's luma is 0.587 * 255 = 149.7, at alpha 128/255 over black: 75.1.
        Assert.Equal([255, 75], GreyInput.ToGrey(image, 2, 1));
        Assert.Equal([255, 255, 75, 75], GreyInput.ToGrey(image, 4, 1)); // 2x1 rows averaged, columns kept
        var normalised = GreyInput.Normalise([0, 255], Mnist.Mean, Mnist.Std);
        Assert.Equal(-Mnist.Mean / Mnist.Std, normalised[0], 6);
        Assert.Equal((1 - Mnist.Mean) / Mnist.Std, normalised[1], 6);
    }

    [Fact]
    public void PngRoundTripGivesTheBatcherInput()
    {
        var pixels = Enumerable.Range(0, 784).Select(i => (byte)(i * 13 % 256)).ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"gpucnn-grey-{Environment.ProcessId}.png");
        Png.Save(new Image(28, 28, 1, (byte[])pixels.Clone()), path);
        try
        {
            var data = new MnistDataset(pixels, [3], 28, 28);
            var batch = new MnistBatcher(data, 1, shuffle: false, seed: 0).Epoch(0).Single();

            Assert.Equal(batch.Images.AsSpan(0, 784).ToArray(), GreyInput.LoadMnistStyle(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
