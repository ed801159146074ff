using GpuCnn.Datasets;
using Xunit;

namespace GpuCnn.Tests.Datasets;

public sealed class ValidationSplitTests
{
    [Theory]
    [InlineData(60000, 0.1, 6000)]
    [InlineData(10, 0.25, 3)] // 2.5 rounds away from zero
    [InlineData(7, 0.5, 4)]
    public void TheFractionIsRoundedToTheNearestImage(int total, double fraction, int expected) =>
        Assert.Equal(expected, ValidationSplit.Count(total, fraction));

    [Theory]
    [InlineData(3, 0.1)] // holds out 0
    [InlineData(3, 0.9)] // leaves 0 to train on
    public void APartLeftEmptyIsRefused(int total, double fraction)
    {
        var e = Assert.Throws<ArgumentException>(() => ValidationSplit.Count(total, fraction));
        Assert.Contains("need at least one image each", e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void AFractionOutsideZeroToOneIsRefused(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.Count(100, fraction));

    [Fact]
    public void TheSplitIsARandomChoiceFixedByTheSeed()
    {
        var a = ValidationSplit.HeldOut(1000, 0.2, seed: 1);
        var again = ValidationSplit.HeldOut(1000, 0.2, seed: 1);
        var other = ValidationSplit.HeldOut(1000, 0.2, seed: 2);

        Assert.Equal(a, again);
        Assert.NotEqual(a, other);
        Assert.Equal(200, a.Count(h => h));
        // Not the last fifth (Keras' rule) nor the first: spread over the whole set.
        Assert.InRange(a.Take(500).Count(h => h), 60, 140);
    }

    [Fact]
    public void AClassSortedSetValidatesOnEveryClassAndThePartsAreDisjointAndComplete()
    {
        // 40 images stored class by class, as an image folder is; each image's one pixel is its index.
        var pixels = Enumerable.Range(0, 40).Select(i => (byte)i).ToArray();
        var labels = Enumerable.Range(0, 40).Select(i => (byte)(i / 10)).ToArray();
        var data = new ImageDataset(pixels, labels, 1, 1, 1, ["a", "b", "c", "d"]);

        var (train, validation) = data.SplitValidation(0.25, seed: 7);

        Assert.Equal((30, 10), (train.Count, validation.Count));
        Assert.True(validation.Labels.Distinct().Count() >= 3, string.Join(",", validation.Labels));
        var all = train.Pixels.Concat(validation.Pixels).Order().ToArray();
        Assert.Equal(pixels, all);
        // Both parts keep the original order, and every label still belongs to its image.
        Assert.Equal(train.Pixels.Order(), train.Pixels);
        Assert.Equal(validation.Pixels.Order(), validation.Pixels);
        Assert.All(Enumerable.Range(0, 10), k => Assert.Equal(validation.Pixels[k] / 10, validation.Labels[k]));
        Assert.Equal(ValidationSplit.HeldOut(40, 0.25, 7).Select((h, i) => (h, i)).Where(x => x.h)
            .Select(x => (byte)x.i), validation.Pixels);
    }

    [Fact]
    public void MnistSplitsAsTheImageDatasetDoes()
    {
        var pixels = Enumerable.Range(0, 20 * 4).Select(i => (byte)i).ToArray();
        var labels = Enumerable.Range(0, 20).Select(i => (byte)(i % 10)).ToArray();
        var mnist = new MnistDataset(pixels, labels, rows: 2, columns: 2);
        var images = new ImageDataset(pixels, labels, 1, 2, 2, [.. Enumerable.Range(0, 10).Select(d => $"{d}")]);

        var (mnistTrain, mnistValidation) = mnist.SplitValidation(0.3, seed: 5);
        var (imageTrain, imageValidation) = images.SplitValidation(0.3, seed: 5);

        Assert.Equal(imageTrain.Pixels, mnistTrain.Pixels);
        Assert.Equal(imageValidation.Labels, mnistValidation.Labels);
        Assert.Equal(6, mnistValidation.Count);
    }
}
