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
    /// Reads an image file (any format <see cref="ImageFile"/> reads) and returns it grey, resized and normalised
    /// with MNIST's mean and standard deviation: the input of a model trained on MNIST.
    /// </summary>
    public static float[] LoadMnistStyle(string path, int width = 28, int height = 28) =>
        Normalise(ToGrey(ImageFile.Load(path), width, height), Mnist.Mean, Mnist.Std);

    // The box filter of ModelInput, rounded to bytes.
    private static byte[] Resize(float[] grey, int sourceWidth, int sourceHeight, int width, int height) =>
        [.. ModelInput.AreaResize(grey, sourceWidth, sourceHeight, width, height)
            .Select(v => (byte)Math.Clamp(Math.Round(v), 0, 255))];
}
