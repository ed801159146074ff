using GpuCnn.Datasets;
using Xunit;

namespace GpuCnn.Tests.Datasets;

public sealed class Cifar10Tests : IDisposable
{
    private readonly IdxFixture files = new();

    public void Dispose() => files.Dispose();

    // Record k of a file: label, then R, G, B planes where pixel p of plane c holds (seed + 3 * c + p) mod 256.
    private static byte[] Records(params (byte Label, int Seed)[] records)
    {
        var bytes = new byte[records.Length * Cifar10.RecordSize];
        for (int k = 0; k < records.Length; k++)
        {
            int at = k * Cifar10.RecordSize;
            bytes[at] = records[k].Label;
            for (int i = 0; i < Cifar10.RecordSize - 1; i++)
            {
                bytes[at + 1 + i] = (byte)(records[k].Seed + 3 * (i / 1024) + i % 1024);
            }
        }
        return bytes;
    }

    [Fact]
    public void BatchKeepsPlanesInChwOrder()
    {
        string path = files.Write("test_batch.bin", Records((3, 0), (9, 100)));

        var data = Cifar10.ReadBatch(path);

        Assert.Equal((2, 3, 32, 32), (data.Count, data.Channels, data.Height, data.Width));
        Assert.Equal([3, 9], data.Labels);
        // Image 1, green plane (c = 1), row 2, column 5: plane offset 1024, pixel 2 * 32 + 5 = 69.
        Assert.Equal((byte)(100 + 3 + 69), data.Image(1)[1024 + 69]);
        Assert.Equal("cat", data.ClassNames[data.Labels[0]]);
    }

    [Fact]
    public void LoadConcatenatesTheFiveTrainingBatches()
    {
        for (int b = 1; b <= 5; b++)
        {
            files.Write($"data_batch_{b}.bin", Records(((byte)b, b), ((byte)(b - 1), 10 * b)));
        }
        files.Write("test_batch.bin", Records((0, 7)));

        var (train, test) = Cifar10.Load(files.Directory);

        Assert.Equal(10, train.Count);
        Assert.Equal([1, 0, 2, 1, 3, 2, 4, 3, 5, 4], train.Labels);
        Assert.Equal((byte)50, train.Image(9)[0]);
        Assert.Equal(1, test.Count);
        Assert.Equal((byte)7, test.Image(0)[0]);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        files.Write("test_batch.bin", Records((0, 7)));

        var error = Assert.Throws<FileNotFoundException>(() => Cifar10.Load(files.Directory));

        Assert.Contains("data_batch_1.bin", error.Message);
    }

    [Fact]
    public void PartialRecordNamesRecordAndOffset()
    {
        byte[] bytes = Records((1, 0), (2, 0));
        string path = files.Write("data_batch_1.bin", bytes[..(bytes.Length - 10)]);

        var error = Assert.Throws<InvalidDataException>(() => Cifar10.ReadBatch(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("record 1 at offset 3073", error.Message);
        Assert.Contains("not a whole number of 3073-byte records", error.Message);
    }

    [Fact]
    public void LabelOutOfRangeNamesRecordAndOffset()
    {
        string path = files.Write("data_batch_1.bin", Records((1, 0), (4, 0), (10, 0)));

        var error = Assert.Throws<InvalidDataException>(() => Cifar10.ReadBatch(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("record 2 at offset 6146 has label 10", error.Message);
    }

    [Fact]
    public void EmptyFileIsRejected()
    {
        string path = files.Write("data_batch_1.bin", []);

        var error = Assert.Throws<InvalidDataException>(() => Cifar10.ReadBatch(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void SliceAndWhereCopyWholeImages()
    {
        string path = files.Write("test_batch.bin", Records((3, 0), (9, 100), (3, 200)));
        var data = Cifar10.ReadBatch(path);

        var cats = data.Where(label => label == 3);
        var tail = data.Slice(1, 2);

        Assert.Equal([3, 3], cats.Labels);
        Assert.Equal(data.Image(2).ToArray(), cats.Image(1).ToArray());
        Assert.Equal([9, 3], tail.Labels);
        Assert.Equal(data.Image(1).ToArray(), tail.Image(0).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Slice(2, 2));
    }
}
