using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Sharp = SixLabors.ImageSharp;

namespace GpuCnn.Datasets.Imaging;

/// <summary>
/// Reads image files of any common format — PNG, JPEG, BMP, GIF, WebP, TIFF — into an <see cref="Image"/>, decoded by
/// ImageSharp. The size is read from the header first and an image over <see cref="ImageLimits.MaxPixels"/> is
/// refused before its pixels are decoded; a PNG's chunk structure is checked first as <see cref="Png.Decode"/> does.
/// Every failure is an <see cref="InvalidDataException"/> whose message starts with the file's name and says what is
/// wrong. A JPEG, TIFF or WebP that says it was taken rotated (its EXIF orientation) is turned upright.
/// </summary>
public static class ImageFile
{
    /// <summary>The formats this reader decodes.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["PNG", "JPEG", "BMP", "GIF", "WebP", "TIFF"];

    /// <summary>The file name extensions of <see cref="Formats"/>, lower case with the dot.</summary>
    public static IReadOnlyList<string> Extensions { get; } =
        [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"];

    // Only the six formats: every decoder registered is one more parser that hostile bytes can reach.
    private static readonly Configuration Decoders = new(new PngConfigurationModule(),
        new JpegConfigurationModule(), new BmpConfigurationModule(), new GifConfigurationModule(),
        new WebpConfigurationModule(), new TiffConfigurationModule());

    /// <summary>Whether <paramref name="path"/> ends in one of <see cref="Extensions"/>, in any case.</summary>
    public static bool HasImageExtension(string path) =>
        Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads the image file at <paramref name="path"/>, whatever its format.</summary>
    /// <exception cref="InvalidDataException">The file is in no format this reader knows, is corrupt, or has more
    /// than <see cref="ImageLimits.MaxPixels"/> pixels; the message names the file.</exception>
    /// <exception cref="IOException">The file cannot be read (<see cref="FileNotFoundException"/> when absent).
    /// </exception>
    public static Image Load(string path) => Decode(ReadAll(path), path);

    /// <summary>Decodes the image file held in <paramref name="data"/>.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="name">What errors call the data, usually its path.</param>
    /// <returns>A PNG as its colour type stores it (see <see cref="Png.Decode"/>); any other format with the fewest
    /// channels that hold its pixels exactly: grey when every pixel has R = G = B, an alpha channel only when some
    /// pixel is not opaque (ImageSharp 2 decodes most formats to RGBA whatever the file stored).</returns>
    /// <exception cref="InvalidDataException">As <see cref="Load"/>.</exception>
    public static Image Decode(byte[] data, string name)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(name);
        if (PngStructure.HasSignature(data))
        {
            return Png.Decode(data, name);
        }

        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Sharp.Image.Identify(Decoders, data, out format);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw Corrupt(name, "header", e);
        }

        if (info is null || format is null)
        {
            throw new InvalidDataException(data.Length == 0 ? $"{name}: the file is empty." :
                $"{name}: not an image this reader decodes ({string.Join(", ", Formats)}); the file starts with " +
                $"{Convert.ToHexString(data.AsSpan(0, Math.Min(8, data.Length)))}.");
        }

        if (ImageLimits.Exceeded(info.Width, info.Height) is { } over)
        {
            throw new InvalidDataException($"{name}: {Name(format)} header: {over}");
        }

        if (format is JpegFormat)
        {
            JpegEnd.Check(data, name);
        }

        return DecodeChecked(data, name, channels: null);
    }

    /// <summary>The whole file, refusing one too large to hold in one array.</summary>
    internal static byte[] ReadAll(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        long length = new FileInfo(path).Length;
        if (length > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{path}: the file is {length} bytes, more than this reader holds in memory ({Array.MaxLength}).");
        }

        return File.ReadAllBytes(path);
    }

    /// <summary>Decodes data whose size has passed the limit into <paramref name="channels"/> channels, or the
    /// fewest that hold its pixels when null.</summary>
    internal static Image DecodeChecked(byte[] data, string name, int? channels)
    {
        Sharp.Image decoded;
        try
        {
            decoded = Sharp.Image.Load(Decoders, data);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw Corrupt(name, "image", e);
        }

        using (decoded)
        {
            Upright(decoded);
            return channels switch
            {
                1 => Copy<L8>(decoded, 1),
                2 => Copy<La16>(decoded, 2),
                3 => Copy<Rgb24>(decoded, 3),
                4 => Copy<Rgba32>(decoded, 4),
                _ => Fewest(decoded),
            };
        }
    }

    private static string Name(IImageFormat format) => format.Name switch
    {
        "Webp" => "WebP",
        var other => other,
    };

    // What decoders throw on bad data: their own format errors, and for data they did not foresee, the runtime's
    // argument, index and arithmetic errors. Out-of-memory and the like still surface as what they are.
    private static bool IsDecoderFailure(Exception e) => e is ImageFormatException or NotSupportedException
        or InvalidMemoryOperationException or ArgumentException or IndexOutOfRangeException or ArithmeticException
        or EndOfStreamException or InvalidOperationException or NullReferenceException;

    private static InvalidDataException Corrupt(string name, string what, Exception e)
    {
        string detail = e is ImageFormatException ? e.Message.TrimEnd('.') :
            $"the decoder failed ({e.GetType().Name}: {e.Message.TrimEnd('.')})";
        return new InvalidDataException($"{name}: cannot decode the {what}: {detail}; the file is corrupt or " +
            "uses a feature this reader lacks.", e);
    }

    // Photographs carry the camera's orientation in EXIF rather than rotating the pixels.
    private static void Upright(Sharp.Image decoded)
    {
        if (decoded.Metadata.ExifProfile?.GetValue(ExifTag.Orientation) is { } orientation &&
            orientation.Value is not (0 or 1))
        {
            decoded.Mutate(x => x.AutoOrient());
        }
    }

    private static Image Copy<TPixel>(Sharp.Image decoded, int channels)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var image = new Image(decoded.Width, decoded.Height, channels);
        if (decoded is Image<TPixel> same)
        {
            same.CopyPixelDataTo(image.Pixels);
        }
        else
        {
            using var converted = decoded.CloneAs<TPixel>();
            converted.CopyPixelDataTo(image.Pixels);
        }

        return image;
    }

    private static Image Fewest(Sharp.Image decoded)
    {
        var converted = decoded is Image<Rgba32> ? null : decoded.CloneAs<Rgba32>();
        try
        {
            var rgba = converted ?? (Image<Rgba32>)decoded;
            bool grey = true, opaque = true;
            rgba.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height && (grey || opaque); y++)
                {
                    foreach (var p in rows.GetRowSpan(y))
                    {
                        grey &= p.R == p.G && p.G == p.B;
                        opaque &= p.A == 255;
                    }
                }
            });
            var image = new Image(rgba.Width, rgba.Height, (grey ? 1 : 3) + (opaque ? 0 : 1));
            rgba.ProcessPixelRows(rows => Pack(rows, image));
            return image;
        }
        finally
        {
            converted?.Dispose();
        }
    }

    private static void Pack(PixelAccessor<Rgba32> rows, Image image)
    {
        int c = image.Channels;
        for (int y = 0; y < rows.Height; y++)
        {
            var row = image.Row(y);
            var source = rows.GetRowSpan(y);
            for (int x = 0; x < source.Length; x++)
            {
                var p = source[x];
                var pixel = row.Slice(x * c, c);
                if (c <= 2)
                {
                    pixel[0] = p.R;
                }
                else
                {
                    (pixel[0], pixel[1], pixel[2]) = (p.R, p.G, p.B);
                }

                if (c is 2 or 4)
                {
                    pixel[c - 1] = p.A;
                }
            }
        }
    }
}
