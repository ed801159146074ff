using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace GpuCnn.Tests.Hostile;

/// <summary>Small valid files of the formats besides PNG, made by ImageSharp's encoders, and the header fields of a
/// JPEG that a mutation may set to hostile values.</summary>
internal static class EncodedImages
{
    /// <summary>A w x h picture with smooth gradients, a few sharp edges and, with <paramref name="alpha"/>, a
    /// transparent corner: enough structure for every encoder to use its general paths.</summary>
    public static Image<Rgba32> Picture(int width, int height, bool alpha = false, bool grey = false)
    {
        var image = new Image<Rgba32>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                byte r = (byte)(x * 255 / Math.Max(1, width - 1)), g = (byte)(y * 255 / Math.Max(1, height - 1));
                byte b = (byte)((x / 4 + y / 4) % 2 == 0 ? 40 : 200);
                byte a = alpha && x < width / 3 && y < height / 3 ? (byte)(x * 30 % 256) : (byte)255;
                image[x, y] = grey ? new Rgba32(r, r, r, a) : new Rgba32(r, g, b, a);
            }
        }

        return image;
    }

    /// <summary>The bytes of <paramref name="image"/> saved by <paramref name="save"/>.</summary>
    public static byte[] Encode(Image image, Action<Image, Stream> save)
    {
        using var stream = new MemoryStream();
        save(image, stream);
        return stream.ToArray();
    }

    public static byte[] Jpeg(Image image, int quality = 90) =>
        Encode(image, (i, s) => i.SaveAsJpeg(s, new JpegEncoder { Quality = quality }));

    public static byte[] Bmp(Image image) => Encode(image, (i, s) => i.SaveAsBmp(s));

    public static byte[] Gif(Image image) => Encode(image, (i, s) => i.SaveAsGif(s));

    public static byte[] WebpLossless(Image image) => Encode(image, (i, s) => i.SaveAsWebp(s,
        new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }));

    public static byte[] WebpLossy(Image image) => Encode(image, (i, s) => i.SaveAsWebp(s));

    public static byte[] Tiff(Image image) => Encode(image, (i, s) => i.SaveAsTiff(s));

    /// <summary>
    /// The fields of a JPEG's header segments: every segment's length, and in the frame header (SOFn) the
    /// precision, height, width, component count and each component's sampling factors and table; in DQT and DHT
    /// the table ids; in SOS the component count and table selectors.
    /// </summary>
    public static Field[] JpegFields(byte[] jpeg)
    {
        var fields = new List<Field>();
        var at = 2; // after SOI
        while (at + 4 <= jpeg.Length && jpeg[at] == 0xFF)
        {
            var marker = jpeg[at + 1];
            var length = jpeg[at + 2] << 8 | jpeg[at + 3];
            fields.Add(new Field(at + 2, 2));
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                fields.AddRange([new(at + 4, 1), new(at + 5, 2), new(at + 7, 2), new(at + 5, 4), new(at + 9, 1)]);
                for (var c = 0; c < jpeg[at + 9]; c++)
                {
                    fields.AddRange([new(at + 11 + 3 * c, 1), new(at + 12 + 3 * c, 1)]);
                }
            }
            else if (marker is 0xDB or 0xC4 or 0xDA)
            {
                fields.AddRange([new(at + 4, 1), new(at + 5, 1), new(at + 6, 1)]);
            }

            if (marker == 0xDA)
            {
                break; // entropy-coded data follows
            }

            at += 2 + length;
        }

        return [.. fields];
    }
}
