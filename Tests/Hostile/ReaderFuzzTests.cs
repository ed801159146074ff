using System.IO.Compression;
using GpuCnn.Datasets;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Tests.Datasets;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using Xunit;

namespace GpuCnn.Tests.Hostile;

/// <summary>
/// Thousands of seeded mutations of small valid files per reader: each either loads or throws the reader's documented
/// exception (InvalidDataException for all of them), and none allocates more than a bound on the reading thread.
/// </summary>
[Collection(LimitsCollection.Name)]
public sealed class ReaderFuzzTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), $"gpucnn-fuzz-{Guid.NewGuid():N}");

    public ReaderFuzzTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // Files whose sizes are all checked against the input: a few times its length and a constant for buffers.
    private static long Proportional(int length) => 8L * length + (4 << 20);

    // Deflate inflates at most 1032-fold, and a 1-bit palette pixel becomes 4 bytes of RGBA (32-fold): what data
    // the file really holds may cost that much, what its header merely claims may not.
    private static long Images(int length) => 1032L * 32 * length + (1 << 20);

    [Fact]
    public void PngDecode()
    {
        var outcome = Fuzz.Run<InvalidDataException>(PngBytes.Samples(), PngBytes.Fields, 4000, Images,
            bytes => () => Png.Decode(bytes, "fuzz.png"), PngBytes.MutateBehindCrc);

        Assert.True(outcome.Loaded >= 100, $"only {outcome.Loaded} mutated PNGs decoded");
    }

    // A JPEG's size is not bounded by its data (a few bytes of entropy code can cover a large grey frame), so the
    // pixel limit bounds it, lowered here to keep the cases quick: the decoded pixels at 4 bytes each, and buffers.
    private static long LimitedImages(int length) => 8L * length + 4 * ImageLimits.MaxPixels + (4 << 20);

    [Fact]
    public void JpegDecode()
    {
        using var colour = EncodedImages.Picture(24, 16);
        using var grey = EncodedImages.Picture(16, 16, grey: true);
        byte[][] samples = [EncodedImages.Jpeg(colour), EncodedImages.Encode(grey, (i, s) => i.SaveAsJpeg(s,
            new JpegEncoder { ColorType = JpegColorType.Luminance, Quality = 75 }))];
        try
        {
            ImageLimits.MaxPixels = 1 << 18;
            foreach (var sample in samples)
            {
                var outcome = Fuzz.Run<InvalidDataException>([sample], EncodedImages.JpegFields(sample), 2000,
                    LimitedImages, bytes => () => ImageFile.Decode(bytes, "fuzz.jpg"));

                Assert.True(outcome.Loaded >= 100, $"only {outcome.Loaded} mutated JPEGs decoded");
            }
        }
        finally
        {
            ImageLimits.MaxPixels = ImageLimits.DefaultMaxPixels;
        }
    }

    [Fact]
    public void BmpGifWebpAndTiffDecode()
    {
        using var picture = EncodedImages.Picture(12, 10, alpha: true);
        (byte[] Bytes, Field[] Fields)[] formats =
        [
            (EncodedImages.Bmp(picture), [new(2, 4, false), new(10, 4, false), new(18, 4, false), new(22, 4, false),
                new(28, 2, false), new(30, 4, false)]),
            (EncodedImages.Gif(picture), [new(6, 2, false), new(8, 2, false), new(10, 1)]),
            (EncodedImages.WebpLossless(picture), [new(4, 4, false), new(16, 4, false), new(21, 4, false)]),
            (EncodedImages.WebpLossy(picture), [new(4, 4, false), new(16, 4, false)]),
            (EncodedImages.Tiff(picture), [new(4, 4, false), new(8, 2, false)]),
        ];
        try
        {
            ImageLimits.MaxPixels = 1 << 18;
            foreach (var (bytes, fields) in formats)
            {
                Fuzz.Run<InvalidDataException>([bytes], fields, 600, LimitedImages,
                    mutated => () => ImageFile.Decode(mutated, "fuzz.img"));
            }
        }
        finally
        {
            ImageLimits.MaxPixels = ImageLimits.DefaultMaxPixels;
        }
    }

    [Fact]
    public void IdxRaw()
    {
        var path = Path.Combine(dir, "images");
        var labels = Path.Combine(dir, "labels");
        var images = IdxFixture.ImageFile(3, 4, 5, [.. Enumerable.Range(0, 60).Select(i => (byte)(i * 4))]);
        Fuzz.Run<InvalidDataException>([images], [new(0, 4), new(4, 4), new(8, 4), new(12, 4)], 2000,
            Proportional, bytes => Write(path, bytes, () => IdxReader.ReadImages(path)));
        Fuzz.Run<InvalidDataException>([IdxFixture.LabelFile([3, 1, 4, 1, 5, 9, 2, 6])], [new(0, 4), new(4, 4)],
            1000, Proportional, bytes => Write(labels, bytes, () => IdxReader.ReadLabels(labels)));
    }

    [Fact]
    public void IdxGzip()
    {
        var path = Path.Combine(dir, "images.gz");
        var labels = Path.Combine(dir, "labels.gz");
        var images = IdxFixture.ImageFile(3, 4, 5, [.. Enumerable.Range(0, 60).Select(i => (byte)(i * 4))]);
        Field[] imageFields = [new(0, 4), new(4, 4), new(8, 4), new(12, 4)];
        // Odd cases mutate the content and compress it (the header checks), even ones the gzip bytes themselves.
        Fuzz.Run<InvalidDataException>([IdxFixture.Gzip(images)], [], 2000, Proportional,
            bytes => Write(path, bytes, () => IdxReader.ReadImages(path)),
            (_, random) => Compressed(Mutator.Mutate(images, imageFields, random)));
        var labelFile = IdxFixture.LabelFile([3, 1, 4, 1, 5, 9, 2, 6]);
        Fuzz.Run<InvalidDataException>([IdxFixture.Gzip(labelFile)], [], 1000, Proportional,
            bytes => Write(labels, bytes, () => IdxReader.ReadLabels(labels)),
            (_, random) => Compressed(Mutator.Mutate(labelFile, [new(0, 4), new(4, 4)], random)));
    }

    [Fact]
    public void Cifar10Batch()
    {
        var path = Path.Combine(dir, "data_batch_1.bin");
        var records = new byte[3 * Cifar10.RecordSize];
        new Random(3).NextBytes(records);
        for (var r = 0; r < 3; r++)
        {
            records[r * Cifar10.RecordSize] = (byte)(r * 4);
        }

        Fuzz.Run<InvalidDataException>([records], [new(0, 1), new(Cifar10.RecordSize, 1),
            new(2 * Cifar10.RecordSize, 1)], 2000, Proportional,
            bytes => Write(path, bytes, () => Cifar10.ReadBatch(path)));
    }

    [Fact]
    public void ImageFolderOfMutatedPngs()
    {
        var samples = PngBytes.Samples();
        Directory.CreateDirectory(Path.Combine(dir, "cat"));
        Directory.CreateDirectory(Path.Combine(dir, "dog"));
        File.WriteAllBytes(Path.Combine(dir, "cat", "a.png"), samples[2]);
        var path = Path.Combine(dir, "dog", "b.png");
        Fuzz.Run<InvalidDataException>(samples, PngBytes.Fields, 2000, Images,
            bytes => Write(path, bytes, () => ImageFolder.Load(dir, 3, (4, 4))), PngBytes.MutateBehindCrc);
    }

    [Fact]
    public void SafeTensorsAndCheckpointMetadata()
    {
        var path = Path.Combine(dir, "fuzz.safetensors");
        var outcome = Fuzz.Run<InvalidDataException>([SafeTensorsBytes.Checkpoint(), SafeTensorsBytes.Wide()],
            SafeTensorsBytes.Fields, 4000, Proportional, bytes => Write(path, bytes, () =>
            {
                var (_, metadata) = SafeTensors.Read(path);
                CheckpointMetadata.Validate(path, metadata);
            }), SafeTensorsBytes.MutateJson);

        Assert.True(outcome.Rejected >= 1000, $"only {outcome.Rejected} mutated headers were rejected");
    }

    private static Action Write(string path, byte[] bytes, Action read)
    {
        File.WriteAllBytes(path, bytes);
        return read;
    }

    private static (byte[] Bytes, string What) Compressed((byte[] Bytes, string What) mutation) =>
        (IdxFixture.Gzip(mutation.Bytes), mutation.What + ", compressed");
}
