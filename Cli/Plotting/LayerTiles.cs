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
    /// covers, and a mostly light picture is inverted, since MNIST digits are light strokes on black
    /// (<see cref="ModelInput.Digit"/>, which <c>predict</c> uses too).
    /// </summary>
    /// <returns>(value / 255 - mean) / std per pixel, row-major.</returns>
    public static float[] ToDigitInput(Image image, int height, int width, float mean, float std) =>
        ModelInput.Digit(image, height, width, mean, std).Values;
}
