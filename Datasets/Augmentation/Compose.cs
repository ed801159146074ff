namespace GpuCnn.Datasets.Augmentation;

/// <summary>Applies transforms one after the other, all drawing from the image's one generator.</summary>
public sealed class Compose : ImageTransform
{
    private readonly ImageTransform[] transforms;

    /// <summary>A pipeline that applies <paramref name="transforms"/> in the order given.</summary>
    public Compose(params ImageTransform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        foreach (var transform in transforms)
        {
            ArgumentNullException.ThrowIfNull(transform, nameof(transforms));
        }
        this.transforms = [.. transforms];
    }

    /// <summary>The transforms, in the order they run.</summary>
    public IReadOnlyList<ImageTransform> Transforms => transforms;

    /// <inheritdoc/>
    public override void Apply(Span<float> image, ImageShape shape, ref AugmentationRandom random)
    {
        foreach (var transform in transforms)
        {
            transform.Apply(image, shape, ref random);
        }
    }
}
