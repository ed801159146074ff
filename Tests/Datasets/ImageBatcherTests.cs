using GpuCnn.Datasets;
using Xunit;

namespace GpuCnn.Tests.Datasets;

public sealed class ImageBatcherTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    [Fact]
    public void EachChannelIsNormalisedWithItsOwnStatistics()
    {
        // One 2-channel 1x2 image: channel 0 holds 0 and 255, channel 1 holds 51 and 102.
        var data = new ImageDataset([0, 255, 51, 102], [2], channels: 2, height: 1, width: 2, Classes);
        var batcher = new ImageBatcher(
            data, batchSize: 2, shuffle: false, seed: 0, mean: [0.5f, 0.1f], std: [0.5f, 2f]);

        var batch = batcher.Epoch(0).Single();

        Assert.Equal((2, 1, 2), (batch.Channels, batch.Rows, batch.Columns));
        Assert.Equal(2 * 2 * 1 * 2, batch.Images.Length);
        Assert.Equal(2, batch.Labels[0]);
        Assert.Equal(-1f, batch.Images[0], 5);
        Assert.Equal(1f, batch.Images[1], 5);
        Assert.Equal((0.2f - 0.1f) / 2f, batch.Images[2], 5);
        Assert.Equal((0.4f - 0.1f) / 2f, batch.Images[3], 5);
        Assert.All(batch.Images[4..], v => Assert.Equal(0f, v));
        Assert.Equal(-1, batch.Labels[1]);
    }

    [Fact]
    public void ShuffleMatchesTheMnistBatcherForTheSameSeed()
    {
        // One generator and one shuffle serve both batchers, so a seed means the same order everywhere.
        var mnist = new MnistDataset(new byte[8], new byte[8], rows: 1, columns: 1);
        var images = new ImageDataset(new byte[8 * 3], new byte[8], 3, 1, 1, Classes);

        var expected = new MnistBatcher(mnist, 8, shuffle: true, seed: 42).Order(0);
        var order = new ImageBatcher(images, 8, shuffle: true, seed: 42, Cifar10.Mean, Cifar10.Std).Order(0);

        Assert.Equal(expected, order);
        Assert.Equal([5, 4, 0, 6, 2, 7, 3, 1], order);
    }

    [Fact]
    public void StatisticsMustMatchTheChannelCount()
    {
        var data = new ImageDataset(new byte[3], [0], 3, 1, 1, Classes);

        var error = Assert.Throws<ArgumentException>(() => new ImageBatcher(data, 1, false, 0, [0.5f], [0.5f]));

        Assert.Contains("3 channels but 1 means", error.Message);
    }
}
