namespace GpuCnn.Datasets.Augmentation;

/// <summary>
/// Pads the image with <see cref="Padding"/> zeros on every side, then cuts a window of the original size at a
/// random place, as the CIFAR recipes do (pad 4, crop back to 32x32).
/// </summary>
public sealed class RandomCrop : ImageTransform
{
    /// <summary>Crops from the image padded by <paramref name="padding"/> pixels each side.</summary>
    public RandomCrop(int padding)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Padding = padding;
    }

    /// <summary>Zeros added on each side before cropping.</summary>
    public int Padding { get; }

    /// <inheritdoc/>
    public override void Apply(Span<float> image, ImageShape shape, ref AugmentationRandom random)
    {
        int top = random.NextBelow(2 * Padding + 1);
        int left = random.NextBelow(2 * Padding + 1);
        Crop(image, shape, Padding, top, left);
    }

    /// <summary>
    /// Replaces <paramref name="image"/> with the window of its own size whose top-left corner is at
    /// (<paramref name="top"/>, <paramref name="left"/>) of the image padded by <paramref name="padding"/> zeros.
    /// </summary>
    /// <param name="image">One CHW image, changed in place.</param>
    /// <param name="shape">Its shape.</param>
    /// <param name="padding">Zeros added on each side.</param>
    /// <param name="top">First row of the window in the padded image, 0 to 2 * padding.</param>
    /// <param name="left">First column of the window in the padded image, 0 to 2 * padding.</param>
    public static void Crop(Span<float> image, ImageShape shape, int padding, int top, int left)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        ArgumentOutOfRangeException.ThrowIfNegative(left);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(top, 2 * padding);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(left, 2 * padding);
        // A same-size window of the padded image is the image moved by (padding - top, padding - left).
        RandomShift.Shift(image, shape, padding - top, padding - left);
    }
}
