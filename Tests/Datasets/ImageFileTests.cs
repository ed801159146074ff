using GpuCnn.Datasets;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Tests.Hostile;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using Picture = GpuCnn.Datasets.Imaging.Image;

namespace GpuCnn.Tests.Datasets;

/// <summary>Every format <see cref="ImageFile"/> reads, against the PNG of the same picture: lossless formats give
/// its pixels exactly, JPEG within a tolerance; and the errors and limits of the bad-input rules.</summary>
[Collection(LimitsCollection.Name)]
public sealed class ImageFileTests : IDisposable
{
    private readonly IdxFixture files = new();

    public void Dispose() => files.Dispose();

    // The picture of every test: 24x16 RGB gradients and a checker pattern (fewer than 256 colours would be needed
    // for GIF to be exact, so GIF gets its own test).
    private static Image<Rgba32> Source(bool alpha = false, bool grey = false) =>
        EncodedImages.Picture(24, 16, alpha, grey);

    // The PNG of the picture, saved with the channels the other formats decode to.
    private static Picture Reference(Image<Rgba32> source, int channels)
    {
        using SixLabors.ImageSharp.Image pixels = channels switch
        {
            1 => source.CloneAs<L8>(),
            3 => source.CloneAs<Rgb24>(),
            _ => source.Clone(),
        };
        return ImageFile.Decode(EncodedImages.Encode(pixels, (i, s) => i.SaveAsPng(s)), "reference.png");
    }

    public static TheoryData<string> LosslessFormats => ["bmp", "webp", "tiff"];

    [Theory]
    [MemberData(nameof(LosslessFormats))]
    public void LosslessFormatsGiveThePngsPixels(string format)
    {
        using var source = Source();
        byte[] bytes = format switch
        {
            "bmp" => EncodedImages.Bmp(source),
            "webp" => EncodedImages.WebpLossless(source),
            _ => EncodedImages.Tiff(source),
        };

        var image = ImageFile.Decode(bytes, "picture." + format);
        var png = Reference(source, 3);

        Assert.Equal((24, 16, 3), (image.Width, image.Height, image.Channels));
        Assert.Equal(png.Pixels, image.Pixels);
    }

    [Fact]
    public void TransparencyKeepsAnAlphaChannel()
    {
        using var source = Source(alpha: true);

        var image = ImageFile.Decode(EncodedImages.WebpLossless(source), "alpha.webp");
        var png = Reference(source, 4);

        Assert.Equal(4, image.Channels);
        // WebP keeps every pixel's alpha, and the colour of every pixel that is not fully transparent.
        for (var i = 0; i < png.Pixels.Length; i += 4)
        {
            Assert.Equal(png.Pixels[i + 3], image.Pixels[i + 3]);
            Assert.Equal(png.Pixels[i + 3] == 0 ? [] : png.Pixels[i..(i + 3)],
                image.Pixels[i + 3] == 0 ? [] : image.Pixels[i..(i + 3)]);
        }
    }

    [Fact]
    public void AGifOfFewColoursIsExact()
    {
        // 4 colours, one of them transparent: within a GIF palette, so nothing is dithered.
        using var source = new Image<Rgba32>(9, 7);
        for (var y = 0; y < 7; y++)
        {
            for (var x = 0; x < 9; x++)
            {
                source[x, y] = ((x + y) % 4) switch
                {
                    0 => new Rgba32(255, 0, 0),
                    1 => new Rgba32(0, 128, 255),
                    2 => new Rgba32(10, 200, 30),
                    _ => new Rgba32(0, 0, 0, 0),
                };
            }
        }

        var image = ImageFile.Decode(EncodedImages.Gif(source), "few.gif");

        Assert.Equal((9, 7, 4), (image.Width, image.Height, image.Channels));
        Assert.Equal([255, 0, 0, 255, 0, 128, 255, 255], image.Pixels[..8]);
        Assert.Equal(0, image.Pixels[3 * 4 + 3]); // pixel (3, 0) is transparent
    }

    [Fact]
    public void AJpegIsThePngWithinJpegsLoss()
    {
        using var source = Source();

        var image = ImageFile.Decode(EncodedImages.Jpeg(source, quality: 95), "photo.jpg");
        var png = Reference(source, 3);

        Assert.Equal((24, 16, 3), (image.Width, image.Height, image.Channels));
        var errors = png.Pixels.Zip(image.Pixels, (a, b) => Math.Abs(a - b)).ToArray();
        // Chroma is subsampled and the 40/200 checker has sharp edges: single pixels may be off by tens, the
        // picture as a whole by a few levels.
        Assert.True(errors.Average() < 6, $"mean error {errors.Average():F2}");
        Assert.True(errors.Max() < 96, $"largest error {errors.Max()}");
    }

    [Fact]
    public void AGreyJpegIsOneChannel()
    {
        using var source = Source(grey: true);
        var jpeg = EncodedImages.Encode(source, (i, s) => i.SaveAsJpeg(s,
            new JpegEncoder { ColorType = JpegColorType.Luminance, Quality = 95 }));

        var image = ImageFile.Decode(jpeg, "grey.jpg");
        var png = Reference(source, 1);

        Assert.Equal((24, 16, 1), (image.Width, image.Height, image.Channels));
        Assert.True(png.Pixels.Zip(image.Pixels, (a, b) => Math.Abs(a - b)).Average() < 4);
    }

    [Fact]
    public void APhotoTakenSidewaysIsTurnedUpright()
    {
        using var source = Source();
        source.Metadata.ExifProfile = new ExifProfile();
        source.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6); // shot rotated: turn 90 clockwise

        var image = ImageFile.Decode(EncodedImages.Jpeg(source, quality: 95), "sideways.jpg");

        Assert.Equal((16, 24), (image.Width, image.Height));
        // The source's top-left corner (dark red-ish: R 0, G 0) is now the top-right one.
        var topRight = image.Pixels.AsSpan((16 - 1) * 3, 3).ToArray();
        Assert.True(topRight[0] < 30 && topRight[1] < 30, string.Join(",", topRight));
    }

    [Fact]
    public void AFileOfNoKnownFormatNamesTheFileAndTheFormatsRead()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            ImageFile.Decode("GIF87 is not quite"u8.ToArray(), "notes.gif"));

        Assert.Equal("notes.gif: not an image this reader decodes (PNG, JPEG, BMP, GIF, WebP, TIFF); the file starts " +
            "with 4749463837206973.", error.Message);
        Assert.Equal("empty.jpg: the file is empty.",
            Assert.Throws<InvalidDataException>(() => ImageFile.Decode([], "empty.jpg")).Message);
    }

    [Fact]
    public void ATruncatedJpegIsOneLineNamingTheFile()
    {
        using var source = Source();
        var jpeg = EncodedImages.Jpeg(source);

        var error = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(jpeg[..(jpeg.Length / 3)], "cut.jpg"));

        Assert.StartsWith("cut.jpg: cannot decode the ", error.Message);
        Assert.DoesNotContain("Exception", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Fact]
    public void AJpegCutShortInItsImageDataIsRefusedAlthoughImageSharpWouldFillItIn()
    {
        using var source = EncodedImages.Picture(200, 150);
        var jpeg = EncodedImages.Jpeg(source);
        var cut = jpeg[..(jpeg.Length * 2 / 3)];

        var error = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(cut, "cut.jpg"));
        var noEnd = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(jpeg[..^2], "noend.jpg"));

        Assert.Equal($"cut.jpg: the JPEG data ends at offset {cut.Length} without its end-of-image marker (FFD9) " +
            "after the image data; the file is truncated.", error.Message);
        Assert.StartsWith("noend.jpg: the JPEG data ends", noEnd.Message);
        // Bytes after the marker are tolerated, as many cameras write them.
        Assert.Equal(200, ImageFile.Decode([.. jpeg, 1, 2, 3], "tail.jpg").Width);
    }

    [Fact]
    public void AJpegOverThePixelLimitIsRefusedFromItsHeader()
    {
        using var source = Source();
        var jpeg = EncodedImages.Jpeg(source);
        // The frame header's height and width set to 60000 x 60000; the entropy data stays that of 24x16.
        var sof = EncodedImages.JpegFields(jpeg).First(f => f.Width == 4).Offset;
        Mutator.Write(jpeg, new Field(sof, 4), 0xEA60_EA60);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(jpeg, "huge.jpg"));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal($"huge.jpg: JPEG header: the image is 60000x60000 = 3600000000 pixels, which exceeds the " +
            $"limit of {ImageLimits.DefaultMaxPixels} pixels (ImageLimits.MaxPixels); raise that setting to read " +
            "larger images.", error.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void ThePixelLimitAppliesToEveryFormat()
    {
        using var source = Source();
        try
        {
            ImageLimits.MaxPixels = 24 * 16 - 1;
            foreach (var (bytes, name) in new[] { (EncodedImages.Bmp(source), "a.bmp"),
                (EncodedImages.Tiff(source), "a.tiff"), (EncodedImages.WebpLossy(source), "a.webp") })
            {
                var error = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(bytes, name));
                Assert.Contains($"{name}: ", error.Message);
                Assert.Contains("24x16 = 384 pixels, which exceeds the limit of 383 pixels", error.Message);
            }

            ImageLimits.MaxPixels = 24 * 16;
            Assert.Equal(24 * 16 * 3, ImageFile.Decode(EncodedImages.Bmp(source), "a.bmp").Pixels.Length);
        }
        finally
        {
            ImageLimits.MaxPixels = ImageLimits.DefaultMaxPixels;
        }
    }

    [Fact]
    public void AnImageFolderMixesFormatsAndSkipsOtherFiles()
    {
        using var source = Source();
        Write("cat/1.JPG", EncodedImages.Jpeg(source));
        Write("cat/2.bmp", EncodedImages.Bmp(source));
        Write("dog/3.webp", EncodedImages.WebpLossless(source));
        Write("dog/4.tif", EncodedImages.Tiff(source));
        Write("dog/readme.md", "not an image"u8.ToArray());

        var data = ImageFolder.Load(files.Directory, channels: 3);

        Assert.Equal(["cat", "dog"], data.ClassNames);
        Assert.Equal([0, 0, 1, 1], data.Labels);
        // The lossless three are identical; the JPEG is close.
        Assert.Equal(data.Image(1).ToArray(), data.Image(2).ToArray());
        Assert.Equal(data.Image(1).ToArray(), data.Image(3).ToArray());
        Assert.True(data.Image(0).ToArray().Zip(data.Image(1).ToArray(), (a, b) => Math.Abs(a - b)).Average() < 8);
    }

    private void Write(string relative, byte[] bytes)
    {
        var path = Path.Combine(files.Directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }
}
