using GpuCnn.Datasets.Imaging;

namespace GpuCnn.Datasets;

/// <summary>
/// Loads a labelled image set laid out as one sub-folder per class, each holding image files of any format
/// <see cref="ImageFile"/> reads (PNG, JPEG, BMP, GIF, WebP, TIFF): <c>root/cat/1.png</c>, <c>root/dog/7.jpg</c>.
/// Classes are numbered by the ordinal order of the folder names, files are read in ordinal order of their names,
/// so the same tree always gives the same dataset.
/// </summary>
public static class ImageFolder
{
    /// <summary>Reads every image file (by its extension, <see cref="ImageFile.Extensions"/>) under the class folders
    /// of <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding one sub-folder per class; other files in it are ignored.</param>
    /// <param name="channels">1 for grey (RGB is reduced by the Rec. 601 luma weights) or 3 for RGB (grey is
    /// repeated); any alpha channel is dropped.</param>
    /// <param name="size">The height and width to resize every image to, by nearest neighbour; without it every
    /// image must have the size of the first.</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">There are no classes or no images, an image is corrupt or is over
    /// <see cref="ImageLimits.MaxPixels"/>, sizes differ without <paramref name="size"/>, or the set would not fit
    /// one array; the message names the file.</exception>
    public static ImageDataset Load(string root, int channels = 3, (int Height, int Width)? size = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Use 1 for grey or 3 for RGB.");
        }
        if (size is { } s && (s.Height <= 0 || s.Width <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Both sides must be positive.");
        }
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Image folder {root} does not exist.");
        }
        string[] classes = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Order(StringComparer.Ordinal).ToArray();
        if (classes.Length is 0 or > 256)
        {
            throw new InvalidDataException(
                $"{root}: found {classes.Length} class folders; put each class's image files in its own sub-folder " +
                "(1 to 256 of them).");
        }

        var pixels = new List<byte[]>();
        var labels = new List<byte>();
        (int Height, int Width)? shape = size;
        string? first = null;
        for (int label = 0; label < classes.Length; label++)
        {
            var files = Directory.GetFiles(Path.Combine(root, classes[label]))
                .Where(ImageFile.HasImageExtension)
                .Order(StringComparer.Ordinal);
            foreach (string file in files)
            {
                var image = ImageFile.Load(file);
                if (shape is null)
                {
                    shape = (image.Height, image.Width);
                    first = file;
                }
                else if (size is null && (image.Height, image.Width) != shape)
                {
                    throw new InvalidDataException(
                        $"{file}: the image is {image.Width}x{image.Height} but {first} is " +
                        $"{shape.Value.Width}x{shape.Value.Height}; pass a size to resize them all to one.");
                }
                long total = (labels.Count + 1L) * channels * shape.Value.Height * shape.Value.Width;
                if (total > Array.MaxLength)
                {
                    throw new InvalidDataException(
                        $"{file}: with this image the set holds {total} bytes of pixels, more than one array " +
                        $"holds ({Array.MaxLength}); use fewer or smaller images (pass a size to resize them).");
                }
                pixels.Add(ToPlanar(image, channels, shape.Value.Height, shape.Value.Width));
                labels.Add((byte)label);
            }
        }
        if (shape is null || labels.Count == 0)
        {
            throw new InvalidDataException(
                $"{root}: the class folders {string.Join(", ", classes)} hold no image files " +
                $"({string.Join(", ", ImageFile.Extensions)}).");
        }
        return new ImageDataset(
            pixels.SelectMany(p => p).ToArray(), [.. labels], channels, shape.Value.Height, shape.Value.Width, classes);
    }

    /// <summary>
    /// The image as CHW bytes of <paramref name="channels"/> channels and the given size, sampling the source by
    /// nearest neighbour: pixel centres are mapped, so a size that divides evenly takes every k-th pixel.
    /// </summary>
    internal static byte[] ToPlanar(Image image, int channels, int height, int width)
    {
        var planar = new byte[channels * height * width];
        int plane = height * width, from = image.Channels;
        for (int y = 0; y < height; y++)
        {
            int sy = Math.Min(image.Height - 1, (int)((y + 0.5) * image.Height / height));
            for (int x = 0; x < width; x++)
            {
                int sx = Math.Min(image.Width - 1, (int)((x + 0.5) * image.Width / width));
                ReadOnlySpan<byte> pixel = image.Pixels.AsSpan((sy * image.Width + sx) * from, from);
                // Channels 0..2 are RGB when the source has 3 or 4; with 1 or 2 the first is grey.
                bool colour = from >= 3;
                if (channels == 1)
                {
                    planar[y * width + x] = colour
                        ? (byte)((pixel[0] * 299 + pixel[1] * 587 + pixel[2] * 114 + 500) / 1000)
                        : pixel[0];
                }
                else
                {
                    for (int c = 0; c < 3; c++)
                    {
                        planar[c * plane + y * width + x] = colour ? pixel[c] : pixel[0];
                    }
                }
            }
        }
        return planar;
    }
}
