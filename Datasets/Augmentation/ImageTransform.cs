namespace GpuCnn.Datasets.Augmentation;

/// <summary>
/// Changes one image in place while a batch is made. Transforms compose with <see cref="Compose"/>; a random one
/// draws only from the generator it is handed, which the batcher seeds from (seed, epoch, image index), so an image
/// gets the same augmentation whichever thread makes its batch and whenever.
/// </summary>
public abstract class ImageTransform
{
    /// <summary>
    /// Transforms <paramref name="image"/> in place. The batcher hands over pixels scaled to [0, 1], before its
    /// mean and std are applied, so a zero fill is black.
    /// </summary>
    /// <param name="image">One image, CHW, exactly <paramref name="shape"/>.Size floats.</param>
    /// <param name="shape">The image's channels, rows and columns.</param>
    /// <param name="random">The image's own generator; a transform must draw the same count of numbers whatever
    /// it decides, so that adding a transform never shifts the draws of another image.</param>
    public abstract void Apply(Span<float> image, ImageShape shape, ref AugmentationRandom random);

    /// <summary>Throws when <paramref name="image"/> does not hold exactly one image of <paramref name="shape"/>.
    /// </summary>
    protected static void CheckSize(ReadOnlySpan<float> image, ImageShape shape)
    {
        if (shape.Channels < 1 || shape.Height < 1 || shape.Width < 1 || image.Length != shape.Size)
        {
            throw new ArgumentException(
                $"The image holds {image.Length} floats but its shape {shape.Channels}x{shape.Height}x{shape.Width} " +
                $"needs {shape.Size}; pass one whole CHW image.",
                nameof(image));
        }
    }
}
