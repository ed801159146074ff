namespace GpuCnn.Datasets.Imaging;

/// <summary>
/// The limits image readers hold a file to before they allocate for it. A header states sizes, and a corrupt or
/// hostile one could ask for gigabytes from a file of a few bytes; readers refuse what is over these limits and name
/// the setting in the message, so a user with larger images knows what to raise.
/// </summary>
public static class ImageLimits
{
    /// <summary>The default of <see cref="MaxPixels"/>: 64 megapixels, beyond any photograph a classifier trains on
    /// (an 8000x8000 image), and at most 256 MiB of RGBA pixels.</summary>
    public const long DefaultMaxPixels = 64L << 20;

    private static long maxPixels = DefaultMaxPixels;

    /// <summary>
    /// The most pixels (width x height) one decoded image may have; an image declaring more is refused before any
    /// pixel memory is allocated. Between 1 and <see cref="Array.MaxLength"/> / 4, as an RGBA image must fit one array.
    /// </summary>
    public static long MaxPixels
    {
        get => Volatile.Read(ref maxPixels);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Array.MaxLength / 4);
            Volatile.Write(ref maxPixels, value);
        }
    }

    /// <summary>Null when a <paramref name="width"/> x <paramref name="height"/> image is within
    /// <see cref="MaxPixels"/>, else the sentence saying it is not and what to raise.</summary>
    internal static string? Exceeded(long width, long height)
    {
        long pixels = width * height;
        return pixels <= MaxPixels ? null
            : $"the image is {width}x{height} = {pixels} pixels, which exceeds the limit of {MaxPixels} pixels " +
              "(ImageLimits.MaxPixels); raise that setting to read larger images.";
    }
}
