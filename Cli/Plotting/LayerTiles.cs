using GpuCnn.Datasets.Imaging;
using GpuCnn.Engine;

namespace GpuCnn.Cli.Plotting;

/// <summary>
/// Cuts convolution weights and feature maps into the tiles <see cref="ImageGrid"/> lays out, and turns an
/// arbitrary picture into a network input that looks like an MNIST digit.
/// </summary>
internal static class LayerTiles
{
    /// <summary>Input channels up to which every channel of a filter gets its own tile (grey, or RGB's three);
    /// beyond that a filter is shown as its mean over channels, since hundreds of tiny tiles say nothing.</summary>
    public const int MaxChannelTiles = 4;

    /// <summary>
    /// The filters of a convolution, one tile each for single-channel input. For a few input channels every
    /// filter is a row of per-channel tiles (the returned column count is the channels); for many, one tile of
    /// the channel mean.
    /// </summary>
    /// <param name="weights">w:(K,C,R,S), row-major.</param>
    /// <param name="shape">(K, C, R, S).</param>
    public static (List<float[]> Tiles, int Columns) Filters(float[] weights, Shape shape)
    {
        if (shape.Rank != 4 || weights.Length != shape.Size)
        {
            throw new ArgumentException(
                $"Filters need weights of shape (K, C, R, S); got {weights.Length} values of shape {shape}.");
        }

        int k = shape[0], c = shape[1], size = shape[2] * shape[3];
        var tiles = new List<float[]>();
        for (var f = 0; f < k; f++)
        {
            if (c <= MaxChannelTiles)
            {
                for (var ch = 0; ch < c; ch++)
                {
                    tiles.Add(weights.AsSpan((f * c + ch) * size, size).ToArray());
                }
            }
            else
            {
                var mean = new float[size];
                for (var ch = 0; ch < c; ch++)
                {
                    var channel = weights.AsSpan((f * c + ch) * size, size);
                    for (var i = 0; i < size; i++)
                    {
                        mean[i] += channel[i] / c;
                    }
                }

                tiles.Add(mean);
            }
        }

        return (tiles, c is > 1 and <= MaxChannelTiles ? c : 0);
    }

    /// <summary>The channels of one sample's feature map, a tile each.</summary>
    /// <param name="activations">y:(C,H,W) of the first sample (more values, later samples, are ignored).</param>
    /// <param name="shape">(C, H, W).</param>
    public static List<float[]> FeatureMaps(float[] activations, Shape shape)
    {
        if (shape.Rank != 3 || activations.Length < shape.Size)
        {
            throw new ArgumentException(
                $"Feature maps need a (C, H, W) output; this layer's is {shape}. Pick a convolution or pooling layer.");
        }

        int size = shape[1] * shape[2];
        return Enumerable.Range(0, shape[0]).Select(ch => activations.AsSpan(ch * size, size).ToArray()).ToList();
    }

    /// <summary>
    /// A picture as a normalised grey input of <paramref name="height"/> x <paramref name="width"/>: transparent
    /// pixels count as white, colours become luminance, each output pixel is the mean of the source pixels it
    /// covers, and a mostly light picture is inverted, since MNIST digits are light strokes on black.
    /// </summary>
    /// <returns>(value / 255 - mean) / std per pixel, row-major.</returns>
    public static float[] ToDigitInput(Image image, int height, int width, float mean, float std)
    {
        var grey = new double[image.Width * image.Height];
        for (var y = 0; y < image.Height; y++)
        {
            var row = image.Row(y);
            for (var x = 0; x < image.Width; x++)
            {
                var p = row.Slice(x * image.Channels, image.Channels);
                double value = image.Channels >= 3 ? 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2] : p[0];
                double alpha = image.Channels is 2 or 4 ? p[image.Channels - 1] / 255.0 : 1;
                grey[y * image.Width + x] = alpha * value + (1 - alpha) * 255;
            }
        }

        var input = new float[height * width];
        for (var oy = 0; oy < height; oy++)
        {
            int y0 = oy * image.Height / height, y1 = Math.Max(y0 + 1, (oy + 1) * image.Height / height);
            for (var ox = 0; ox < width; ox++)
            {
                int x0 = ox * image.Width / width, x1 = Math.Max(x0 + 1, (ox + 1) * image.Width / width);
                double sum = 0;
                for (var y = y0; y < y1; y++)
                {
                    for (var x = x0; x < x1; x++)
                    {
                        sum += grey[y * image.Width + x];
                    }
                }

                input[oy * width + ox] = (float)(sum / ((y1 - y0) * (x1 - x0)) / 255);
            }
        }

        // NOTE: a dark-on-light drawing (the usual way to draw a digit) would look like a negative to the network.
        var invert = input.Average() > 0.5f;
        for (var i = 0; i < input.Length; i++)
        {
            var v = invert ? 1 - input[i] : input[i];
            input[i] = (v - mean) / std;
        }

        return input;
    }
}
