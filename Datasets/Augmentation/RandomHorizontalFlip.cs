namespace GpuCnn.Datasets.Augmentation;

/// <summary>Mirrors the image left to right with probability <see cref="Probability"/>.</summary>
public sealed class RandomHorizontalFlip : ImageTransform
{
    /// <summary>Flips with probability <paramref name="probability"/>, 0.5 unless told.</summary>
    public RandomHorizontalFlip(double probability = 0.5)
    {
        if (!(probability >= 0 && probability <= 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(probability), $"A probability lies in [0, 1], got {probability}.");
        }
        Probability = probability;
    }

    /// <summary>The chance that an image is flipped.</summary>
    public double Probability { get; }

    /// <inheritdoc/>
    public override void Apply(Span<float> image, ImageShape shape, ref AugmentationRandom random)
    {
        if (random.NextBool(Probability))
        {
            Flip(image, shape);
        }
    }

    /// <summary>Mirrors every row of every channel of <paramref name="image"/> in place.</summary>
    public static void Flip(Span<float> image, ImageShape shape)
    {
        CheckSize(image, shape);
        for (int row = 0; row < shape.Channels * shape.Height; row++)
        {
            image.Slice(row * shape.Width, shape.Width).Reverse();
        }
    }
}
