using System.Globalization;

namespace GpuCnn.Datasets.Imaging;

/// <summary>A network input made from a picture, and the words saying what was done to it.</summary>
/// <param name="Values">CHW floats, normalised: (value / 255 - mean) / std per channel.</param>
/// <param name="Description">For example "640x480 RGB -> 28x28 grey, inverted (light background)".</param>
public sealed record PreparedInput(float[] Values, string Description);

/// <summary>
/// Turns a picture of any size and colour into the input of a trained model, the same way for every command that
/// feeds one: as an MNIST digit for models trained on MNIST, or as an image folder is read for the others.
/// </summary>
public static class ModelInput
{
    /// <summary>
    /// The picture as an MNIST-style digit of <paramref name="height"/> x <paramref name="width"/>: colours become
    /// luma (ITU-R BT.601), transparent pixels count as white, each output pixel is the mean of the source area it
    /// covers, and a mostly light picture is inverted, since MNIST draws light strokes on black and a digit drawn
    /// or photographed on paper is the reverse.
    /// </summary>
    public static PreparedInput Digit(Image image, int height, int width, float mean, float std)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        var grey = new float[image.Width * image.Height];
        int c = image.Channels;
        for (int i = 0; i < grey.Length; i++)
        {
            ReadOnlySpan<byte> p = image.Pixels.AsSpan(i * c, c);
            float level = c >= 3 ? 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2] : p[0];
            float alpha = c is 2 or 4 ? p[c - 1] / 255f : 1f;
            grey[i] = (alpha * level + (1 - alpha) * 255f) / 255f;
        }

        var values = AreaResize(grey, image.Width, image.Height, width, height);
        bool invert = values.Average() > 0.5f;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ((invert ? 1 - values[i] : values[i]) - mean) / std;
        }

        return new PreparedInput(values, $"{Describe(image)} -> {width}x{height} grey" +
            (invert ? ", inverted (light background)" : ""));
    }

    /// <summary>
    /// The picture as an image folder's images are read (<see cref="ImageFolder"/>): <paramref name="channels"/>
    /// (1 grey or 3 RGB) at <paramref name="height"/> x <paramref name="width"/> by nearest pixels, alpha dropped,
    /// then normalised per channel.
    /// </summary>
    public static PreparedInput Planar(Image image, int channels, int height, int width, IReadOnlyList<float> mean,
        IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (channels is not (1 or 3) || mean.Count != channels || std.Count != channels)
        {
            throw new ArgumentException(
                $"Use 1 or 3 channels with one mean and std each; got {channels}, {mean.Count} and {std.Count}.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        byte[] planar = ImageFolder.ToPlanar(image, channels, height, width);
        var values = new float[planar.Length];
        int plane = height * width;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (planar[i] / 255f - mean[i / plane]) / std[i / plane];
        }

        return new PreparedInput(values,
            $"{Describe(image)} -> {width}x{height} {(channels == 1 ? "grey" : "RGB")}");
    }

    /// <summary>"640x480 RGB": the size and colour of a picture.</summary>
    public static string Describe(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        string colour = image.Channels switch { 1 => "grey", 2 => "grey+alpha", 3 => "RGB", _ => "RGBA" };
        return string.Create(CultureInfo.InvariantCulture, $"{image.Width}x{image.Height} {colour}");
    }

    /// <summary>
    /// Box filter: each target pixel is the mean of the source rectangle it covers, partial source pixels weighted by
    /// the fraction covered. Exact for integer downscales; nearest-neighbour when enlarging, where a target pixel lies
    /// inside one source pixel.
    /// </summary>
    internal static float[] AreaResize(float[] source, int sourceWidth, int sourceHeight, int width, int height)
    {
        var result = new float[width * height];
        double scaleX = (double)sourceWidth / width, scaleY = (double)sourceHeight / height;
        for (int ty = 0; ty < height; ty++)
        {
            double y0 = ty * scaleY, y1 = y0 + scaleY;
            for (int tx = 0; tx < width; tx++)
            {
                double x0 = tx * scaleX, x1 = x0 + scaleX;
                double sum = 0, area = 0;
                for (int sy = (int)y0; sy < Math.Min(sourceHeight, (int)Math.Ceiling(y1)); sy++)
                {
                    double wy = Math.Min(y1, sy + 1) - Math.Max(y0, sy);
                    for (int sx = (int)x0; sx < Math.Min(sourceWidth, (int)Math.Ceiling(x1)); sx++)
                    {
                        double w = wy * (Math.Min(x1, sx + 1) - Math.Max(x0, sx));
                        sum += w * source[sy * sourceWidth + sx];
                        area += w;
                    }
                }

                result[ty * width + tx] = (float)(sum / area);
            }
        }

        return result;
    }
}
