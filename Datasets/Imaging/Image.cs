namespace GpuCnn.Datasets.Imaging;

/// <summary>
/// An 8-bit raster image held in memory: <see cref="Height"/> rows of <see cref="Width"/> pixels, each pixel
/// <see cref="Channels"/> interleaved bytes.
/// </summary>
public sealed class Image
{
    /// <summary>Wraps <paramref name="pixels"/> without copying it; the image owns the array from now on.</summary>
    /// <param name="width">Pixels per row, at least 1.</param>
    /// <param name="height">Rows, at least 1.</param>
    /// <param name="channels">1 grey, 2 grey and alpha, 3 RGB, 4 RGBA.</param>
    /// <param name="pixels">Width * Height * Channels bytes, row-major, channels interleaved.</param>
    public Image(int width, int height, int channels, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, 4);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != (long)width * height * channels)
        {
            throw new ArgumentException(
                $"A {width}x{height} image of {channels} channels needs {(long)width * height * channels} bytes, " +
                $"but {pixels.Length} were given.",
                nameof(pixels));
        }
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>A black (and, with an alpha channel, fully transparent) image.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A side is not positive, or the pixels would not fit one array.
    /// </exception>
    public Image(int width, int height, int channels)
        : this(width, height, channels, new byte[Bytes(width, height, channels)])
    {
    }

    private static long Bytes(int width, int height, int channels)
    {
        if (width <= 0 || height <= 0 || channels is < 1 or > 4)
        {
            return 0; // the constructor's checks name the wrong argument
        }
        long bytes = (long)width * height * channels;
        if (bytes > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(width),
                $"A {width}x{height} image of {channels} channels needs {bytes} bytes; one image holds 1 to " +
                $"{Array.MaxLength}.");
        }
        return bytes;
    }

    /// <summary>Pixels per row.</summary>
    public int Width { get; }

    /// <summary>Number of rows.</summary>
    public int Height { get; }

    /// <summary>Bytes per pixel: 1 grey, 2 grey and alpha, 3 RGB, 4 RGBA.</summary>
    public int Channels { get; }

    /// <summary>All pixels, row-major, channels interleaved: pixel (x, y) starts at (y * Width + x) * Channels.
    /// </summary>
    public byte[] Pixels { get; }

    /// <summary>The bytes of row <paramref name="y"/>.</summary>
    public Span<byte> Row(int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        return Pixels.AsSpan(y * Width * Channels, Width * Channels);
    }
}
