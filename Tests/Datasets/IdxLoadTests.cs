using GpuCnn.Datasets;
using Xunit;

namespace GpuCnn.Tests.Datasets;

public sealed class IdxLoadTests : IDisposable
{
    // Three 2x3 images whose pixels are all distinct, so a row/column or image mix-up changes some value.
    private static readonly byte[] Pixels = Enumerable.Range(0, 18).Select(i => (byte)(i * 13 + 7)).ToArray();
    private static readonly byte[] Labels = [7, 0, 9];

    private readonly IdxFixture files = new();

    public void Dispose() => files.Dispose();

    [Fact]
    public void RawFilesLoad()
    {
        string images = files.Write("images", IdxFixture.ImageFile(3, 2, 3, Pixels));
        string labels = files.Write("labels", IdxFixture.LabelFile(Labels));

        var data = MnistDataset.Load(images, labels);

        Assert.Equal(3, data.Count);
        Assert.Equal(2, data.Rows);
        Assert.Equal(3, data.Columns);
        Assert.Equal(Pixels, data.Pixels);
        Assert.Equal(Labels, data.Labels);
        // Image 1, row 1, column 2 is pixel 6 + 3 + 2 = 11 of the file.
        Assert.Equal((byte)(11 * 13 + 7), data.Image(1)[1 * 3 + 2]);
    }

    [Fact]
    public void GzipIsDetectedByContentNotExtension()
    {
        // A compressed file without .gz and a raw file with .gz must both load.
        string images = files.Write("images.idx", IdxFixture.Gzip(IdxFixture.ImageFile(3, 2, 3, Pixels)));
        string labels = files.Write("labels.gz", IdxFixture.LabelFile(Labels));

        var data = MnistDataset.Load(images, labels);

        Assert.Equal(Pixels, data.Pixels);
        Assert.Equal(Labels, data.Labels);
    }

    [Fact]
    public void WrongMagicNamesFileAndBothMagics()
    {
        string images = files.Write("bad-images", IdxFixture.ImageFile(3, 2, 3, Pixels, magic: 0x0D03));
        string labels = files.Write("labels", IdxFixture.LabelFile(Labels));

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(images, labels));

        Assert.Contains(images, error.Message);
        Assert.Contains("0x00000803", error.Message);
        Assert.Contains("0x00000D03", error.Message);
    }

    [Fact]
    public void SwappedPathsAreCalledOut()
    {
        string images = files.Write("images", IdxFixture.ImageFile(3, 2, 3, Pixels));
        string labels = files.Write("labels", IdxFixture.LabelFile(Labels));

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(labels, images));

        Assert.Contains(labels, error.Message);
        Assert.Contains("swapped", error.Message);
    }

    [Fact]
    public void TruncatedImagesReportExpectedLengthAndOffset()
    {
        byte[] whole = IdxFixture.ImageFile(3, 2, 3, Pixels);
        string images = files.Write("short-images", whole[..30]);
        string labels = files.Write("labels", IdxFixture.LabelFile(Labels));

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(images, labels));

        Assert.Contains(images, error.Message);
        Assert.Contains("expected 34 bytes", error.Message);
        Assert.Contains("ends at offset 30", error.Message);
    }

    [Fact]
    public void TruncatedGzipReportsOffsetInDecompressedData()
    {
        byte[] whole = IdxFixture.ImageFile(3, 2, 3, Pixels);
        string images = files.Write("short-images.gz", IdxFixture.Gzip(whole[..20]));
        string labels = files.Write("labels", IdxFixture.LabelFile(Labels));

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(images, labels));

        Assert.Contains(images, error.Message);
        Assert.Contains("ends at offset 20 of the decompressed data", error.Message);
    }

    [Fact]
    public void TruncatedHeaderIsReported()
    {
        string images = files.Write("stub-images", IdxFixture.ImageFile(3, 2, 3, Pixels)[..10]);
        string labels = files.Write("labels", IdxFixture.LabelFile(Labels));

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(images, labels));

        Assert.Contains(images, error.Message);
        Assert.Contains("16-byte IDX header but the file ends at offset 10", error.Message);
    }

    [Fact]
    public void TrailingBytesAreRejected()
    {
        byte[] labelFile = [.. IdxFixture.LabelFile(Labels), 3];
        string images = files.Write("images", IdxFixture.ImageFile(3, 2, 3, Pixels));
        string labels = files.Write("long-labels", labelFile);

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(images, labels));

        Assert.Contains(labels, error.Message);
        Assert.Contains("after offset 11", error.Message);
    }

    [Fact]
    public void ImageAndLabelCountsMustAgree()
    {
        string images = files.Write("images", IdxFixture.ImageFile(3, 2, 3, Pixels));
        string labels = files.Write("two-labels", IdxFixture.LabelFile([1, 2]));

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(images, labels));

        Assert.Contains(images, error.Message);
        Assert.Contains(labels, error.Message);
        Assert.Contains("3 images", error.Message);
        Assert.Contains("2 labels", error.Message);
    }

    [Fact]
    public void LabelOutOfRangeNamesValueAndOffset()
    {
        string images = files.Write("images", IdxFixture.ImageFile(3, 2, 3, Pixels));
        string labels = files.Write("bad-labels", IdxFixture.LabelFile([7, 10, 9]));

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(images, labels));

        Assert.Contains(labels, error.Message);
        Assert.Contains("label 10 of item 1", error.Message);
        Assert.Contains("offset 9", error.Message);
    }

    [Theory]
    [InlineData(0, 2, 3, "image count at offset 4 is 0")]
    [InlineData(3, -1, 3, "row count at offset 8 is -1")]
    [InlineData(3, 2, 100000, "column count at offset 12 is 100000")]
    public void InsaneDimensionsAreRejected(int count, int rows, int columns, string expected)
    {
        string images = files.Write("odd-images", IdxFixture.ImageFile(count, rows, columns, Pixels));
        string labels = files.Write("labels", IdxFixture.LabelFile(Labels));

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(images, labels));

        Assert.Contains(images, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void CorruptGzipNamesFile()
    {
        byte[] gzip = IdxFixture.Gzip(IdxFixture.ImageFile(3, 2, 3, Pixels));
        // Keep the gzip header so the file is taken for gzip, and ruin the deflate data after it.
        for (int i = 10; i < gzip.Length; i++)
        {
            gzip[i] = 0xFF;
        }
        string images = files.Write("corrupt-images.gz", gzip);
        string labels = files.Write("labels", IdxFixture.LabelFile(Labels));

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(images, labels));

        Assert.Contains(images, error.Message);
        Assert.Contains("gzip", error.Message);
    }
}
