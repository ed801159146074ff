using GpuCnn.Datasets;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Tests.Datasets;
using Xunit;

namespace GpuCnn.Tests.Hostile;

/// <summary>The image and IDX defects of the hostile-input report, each kept fixed: huge declared sizes are refused
/// before allocating, the limit is named and settable, zlib errors name the file.</summary>
[Collection(LimitsCollection.Name)]
public sealed class ImageDefectTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), $"gpucnn-hostile-{Guid.NewGuid():N}");

    public ImageDefectTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void APaletteImageDeclaring32768x32768IsRefusedNamingTheLimitBeforeAllocating()
    {
        // The report's file: a 1-bit palette PNG that only declares its size, with almost no data.
        var png = PngBytes.File(PngBytes.Ihdr(32768, 32768, 1, 3), PngBytes.Chunk("PLTE", [0, 0, 0]),
            PngBytes.Chunk("IDAT", PngBytes.Zlib(new byte[100])), PngBytes.Chunk("IEND", []));

        var (error, allocated) = Measure(() => Png.Decode(png, "huge.png"));

        Assert.Contains("huge.png", error.Message);
        Assert.Contains("32768x32768", error.Message);
        Assert.Contains($"limit of {ImageLimits.DefaultMaxPixels} pixels (ImageLimits.MaxPixels)", error.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void ATwoMegabytePngOf32768x16000DoesNotCostGigabytes()
    {
        var png = PngBytes.BlankPalette(32768, 16000);

        var (error, allocated) = Measure(() => Png.Decode(png, "wide.png"));

        Assert.Contains("ImageLimits.MaxPixels", error.Message);
        // Before the fix the decoder held the whole inflated data and the RGB image, 6.2 GB at its peak.
        Assert.True(allocated < 1 << 20, $"allocated {allocated:N0} bytes for a {png.Length:N0}-byte file");
    }

    [Fact]
    public void AHeaderThatItsCompressedDataCannotFillIsRefusedBeforeAllocating()
    {
        // Within the pixel limit, but 100 bytes of deflate data cannot inflate to 64 MB of rows.
        var png = PngBytes.File(PngBytes.Ihdr(8000, 8000, 8, 0),
            PngBytes.Chunk("IDAT", PngBytes.Zlib(new byte[100])), PngBytes.Chunk("IEND", []));

        var (error, allocated) = Measure(() => Png.Decode(png, "short.png"));

        Assert.Contains("short.png: IDAT chunk at offset 33", error.Message);
        Assert.Contains("inflate to at most", error.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void DecodingStreamsRowsSoOnlyTheImageIsHeld()
    {
        var pixels = new byte[1024 * 1024];
        new Random(1).NextBytes(pixels);
        var png = Png.Encode(new Image(1024, 1024, 1, pixels));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var image = Png.Decode(png, "noise.png");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(pixels, image.Pixels);
        // The image itself, two rows and the copies of the compressed data; never a second image-sized buffer.
        Assert.True(allocated < pixels.Length + 3L * png.Length + (256 << 10), $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void ThePixelLimitIsSettable()
    {
        var png = Png.Encode(new Image(5, 4, 1));
        try
        {
            ImageLimits.MaxPixels = 19;
            var error = Assert.Throws<InvalidDataException>(() => Png.Decode(png, "small.png"));
            Assert.Contains("5x4 = 20 pixels, which exceeds the limit of 19 pixels (ImageLimits.MaxPixels)",
                error.Message);

            ImageLimits.MaxPixels = 20;
            Assert.Equal(20, Png.Decode(png, "small.png").Pixels.Length);
        }
        finally
        {
            ImageLimits.MaxPixels = ImageLimits.DefaultMaxPixels;
        }
    }

    [Fact]
    public void AZlibStreamWithAPresetDictionaryIsAnErrorNamingTheFileEvenInAnImageFolder()
    {
        // 0x78 0x20 is a valid zlib header with the FDICT bit set; four bytes of dictionary id follow.
        byte[] zlib = [0x78, 0x20, 0, 0, 0, 1, .. PngBytes.Zlib([0, 1, 2, 3])[2..]];
        var png = PngBytes.File(PngBytes.Ihdr(3, 1, 8, 0), PngBytes.Chunk("IDAT", zlib), PngBytes.Chunk("IEND", []));
        var good = Png.Encode(new Image(3, 1, 1));
        Directory.CreateDirectory(Path.Combine(dir, "a"));
        Directory.CreateDirectory(Path.Combine(dir, "b"));
        File.WriteAllBytes(Path.Combine(dir, "a", "1.png"), good);
        var bad = Path.Combine(dir, "b", "2.png");
        File.WriteAllBytes(bad, png);

        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir, 1));

        Assert.Contains(bad, error.Message);
        Assert.Contains("preset-dictionary", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnIdxHeaderClaimingTwoGigabytesOfLabelsIsRefusedWithoutAllocatingThem(bool gzip)
    {
        var file = IdxFixture.LabelFile([1, 2, 3], count: 0x7FFFFFC7);
        var path = Path.Combine(dir, "labels");
        File.WriteAllBytes(path, gzip ? IdxFixture.Gzip(file) : file);

        var (error, allocated) = Measure(() => IdxReader.ReadLabels(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("2147483591 bytes of data", error.Message);
        Assert.True(allocated < 4 << 20, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void AnImageTooLargeForOneArrayIsAnArgumentErrorNotAnOverflow()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Image(65536, 65536, 4));

        Assert.Contains("65536x65536", error.Message);
    }

    private static (InvalidDataException Error, long Allocated) Measure(Action read)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(read);
        return (error, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
