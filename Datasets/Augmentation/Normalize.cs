namespace GpuCnn.Datasets.Augmentation;

/// <summary>Per channel c, replaces each value x with (x - mean[c]) / std[c].</summary>
public sealed class Normalize : ImageTransform
{
    private readonly float[] mean;
    private readonly float[] std;

    /// <summary>Normalises with one mean and one std per channel.</summary>
    /// <param name="mean">Subtracted from each value of its channel.</param>
    /// <param name="std">Divides each value of its channel after the mean is subtracted; positive.</param>
    public Normalize(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count != std.Count || mean.Count == 0)
        {
            throw new ArgumentException(
                $"Got {mean.Count} means and {std.Count} stds; give one of each per channel.", nameof(mean));
        }
        for (int c = 0; c < mean.Count; c++)
        {
            if (!(std[c] > 0f) || !float.IsFinite(std[c]) || !float.IsFinite(mean[c]))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(std),
                    $"Normalisation needs a finite mean and a positive finite std, got mean {mean[c]}, std {std[c]} " +
                    $"for channel {c}.");
            }
        }
        this.mean = [.. mean];
        this.std = [.. std];
    }

    /// <summary>The mean of each channel.</summary>
    public IReadOnlyList<float> Mean => mean;

    /// <summary>The std of each channel.</summary>
    public IReadOnlyList<float> Std => std;

    /// <inheritdoc/>
    public override void Apply(Span<float> image, ImageShape shape, ref AugmentationRandom random)
    {
        CheckSize(image, shape);
        if (shape.Channels != this.mean.Length)
        {
            throw new ArgumentException(
                $"The image has {shape.Channels} channels but the normalisation has {this.mean.Length}.",
                nameof(shape));
        }
        int plane = shape.Height * shape.Width;
        for (int c = 0; c < shape.Channels; c++)
        {
            float mean = this.mean[c], std = this.std[c];
            // Dividing, not multiplying by 1/std, rounds exactly as the batcher's lookup table does.
            foreach (ref float x in image.Slice(c * plane, plane))
            {
                x = (x - mean) / std;
            }
        }
    }
}
