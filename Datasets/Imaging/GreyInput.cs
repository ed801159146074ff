namespace GpuCnn.Datasets.Imaging;

/// <summary>
/// Turns any decoded image into what an MNIST-trained model reads: one grey channel at the model's size, normalised
/// as the training data was.
/// </summary>
public static class GreyInput
{
    /// <summary>
    /// The grey level of every pixel (ITU-R BT.601 luma for colour), composited over black where there is an alpha
    /// channel — MNIST draws white strokes on black, so a transparent background must read as black — and resized to
    /// <paramref name="width"/> x <paramref name="height"/> by averaging the source area under each target pixel.
    /// </summary>
    public static byte[] ToGrey(Image image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var grey = new float[image.Width * image.Height];
        int c = image.Channels;
        for (int i = 0; i < grey.Length; i++)
        {
            ReadOnlySpan<byte> px = image.Pixels.AsSpan(i * c, c);
            float level = c >= 3 ? 0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2] : px[0];
            bool hasAlpha = c is 2 or 4;
            grey[i] = hasAlpha ? level * px[c - 1] / 255f : level;
        }

        return Resize(grey, image.Width, image.Height, width, height);
    }

    /// <summary>Maps bytes 0..255 to <c>(pixel / 255 - mean) / std</c>.</summary>
    public static float[] Normalise(ReadOnlySpan<byte> pixels, float mean, float std)
    {
        if (!(std > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(std), std, "The standard deviation must be positive.");
        }

        var result = new float[pixels.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = (pixels[i] / 255f - mean) / std;
        }

        return result;
    }

    /// <summary>
    /// Reads a PNG file and returns it grey, resized and normalised with MNIST's mean and standard deviation:
    /// the input of a model trained on MNIST.
    /// </summary>
    public static float[] LoadMnistStyle(string path, int width = 28, int height = 28) =>
        Normalise(ToGrey(Png.Load(path), width, height), Mnist.Mean, Mnist.Std);

    // Box filter: each target pixel is the average of the source rectangle it covers, partial source pixels
    // weighted by the fraction covered. That is exact for integer downscales and degrades to nearest-neighbour
    // when enlarging, where a target pixel lies inside one source pixel.
    private static byte[] Resize(float[] grey, int sourceWidth, int sourceHeight, int width, int height)
    {
        var result = new byte[width * height];
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
                        sum += w * grey[sy * sourceWidth + sx];
                        area += w;
                    }
                }

                result[ty * width + tx] = (byte)Math.Clamp(Math.Round(sum / area), 0, 255);
            }
        }

        return result;
    }
}
