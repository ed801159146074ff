using GpuCnn.Datasets;
using Xunit;

namespace GpuCnn.Tests.Datasets;

public sealed class MnistDatasetTests
{
    // Five 1x2 images; image i holds pixels (10i, 10i + 1); labels are 3, 1, 4, 1, 5 so that 1 repeats.
    private static MnistDataset Sample() =>
        new([0, 1, 10, 11, 20, 21, 30, 31, 40, 41], [3, 1, 4, 1, 5], rows: 1, columns: 2);

    [Fact]
    public void SliceCopiesTheRange()
    {
        var data = Sample();

        var slice = data.Slice(1, 3);

        Assert.Equal(3, slice.Count);
        Assert.Equal(new byte[] { 10, 11, 20, 21, 30, 31 }, slice.Pixels);
        Assert.Equal(new byte[] { 1, 4, 1 }, slice.Labels);
        data.Pixels[2] = 99;
        Assert.Equal(10, slice.Pixels[0]);
    }

    [Fact]
    public void SliceMayBeEmptyAtTheEnd()
    {
        Assert.Equal(0, Sample().Slice(5, 0).Count);
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(4, 2)]
    [InlineData(0, 6)]
    public void SlicePastTheEndThrows(int start, int count)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sample().Slice(start, count));
    }

    [Fact]
    public void WhereKeepsMatchingImagesInOrder()
    {
        var ones = Sample().Where(label => label == 1);

        Assert.Equal(new byte[] { 1, 1 }, ones.Labels);
        Assert.Equal(new byte[] { 10, 11, 30, 31 }, ones.Pixels);
        Assert.Equal(2, ones.Columns);
    }

    [Fact]
    public void WhereSplitsDigitsForTransfer()
    {
        var data = Sample();

        var low = data.Where(label => label < 4);
        var high = data.Where(label => label >= 4);

        Assert.Equal(new byte[] { 3, 1, 1 }, low.Labels);
        Assert.Equal(new byte[] { 4, 5 }, high.Labels);
        Assert.Equal(new byte[] { 20, 21, 40, 41 }, high.Pixels);
    }

    [Fact]
    public void ConstructorRejectsMismatchedLengthsAndBadLabels()
    {
        Assert.Throws<ArgumentException>(() => new MnistDataset(new byte[5], [1, 2], 1, 2));
        var error = Assert.Throws<ArgumentException>(() => new MnistDataset(new byte[4], [1, 12], 1, 2));
        Assert.Contains("Label 12 of item 1", error.Message);
    }
}
