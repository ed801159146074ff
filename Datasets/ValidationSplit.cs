using System.Globalization;

namespace GpuCnn.Datasets;

/// <summary>
/// Holds a fraction of a training set out for validation, as PyTorch's <c>random_split</c> does rather than
/// Keras' <c>validation_split</c> (which takes the last images): which images are held out is a seeded random
/// choice, so a dataset stored class by class (an image folder) still validates on every class. The same seed
/// holds out the same images on every machine; both parts keep the images in their original order.
/// </summary>
public static class ValidationSplit
{
    // Keeps the split's stream apart from the shuffle's and the augmentation's, which hash the same seed.
    private const ulong Domain = 0x5641_4C49_4441_5445UL;

    /// <summary>How many of <paramref name="total"/> images a <paramref name="fraction"/> holds out: the fraction
    /// rounded to the nearest image.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is not strictly between 0 and 1.</exception>
    /// <exception cref="ArgumentException">The fraction would leave the training or the validation part empty.
    /// </exception>
    public static int Count(int total, double fraction)
    {
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction,
                "The validation fraction must be between 0 and 1 (exclusive).");
        }

        var count = (int)Math.Round(total * fraction, MidpointRounding.AwayFromZero);
        return count >= 1 && count < total
            ? count
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"A validation fraction of {fraction} of {total} images holds out {count}; the training and the " +
                $"validation part need at least one image each."));
    }

    /// <summary>Whether each of <paramref name="total"/> images is held out: <see cref="Count"/> of them, chosen
    /// by a shuffle seeded with <paramref name="seed"/>.</summary>
    public static bool[] HeldOut(int total, double fraction, ulong seed)
    {
        var count = Count(total, fraction);
        var order = new int[total];
        for (var i = 0; i < total; i++)
        {
            order[i] = i;
        }

        var held = new bool[total];
        var rng = SplitMix64.ForStream(seed ^ Domain, 0);
        // A partial Fisher-Yates shuffle: the first `count` positions are a uniform random choice of images.
        for (var i = 0; i < count; i++)
        {
            var j = i + rng.NextBelow(total - i);
            (order[i], order[j]) = (order[j], order[i]);
            held[order[i]] = true;
        }

        return held;
    }

    /// <summary>Splits <paramref name="data"/> into the images to train on and the
    /// <paramref name="fraction"/> held out for validation (see <see cref="ValidationSplit"/>).</summary>
    public static (ImageDataset Train, ImageDataset Validation) SplitValidation(
        this ImageDataset data, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        var held = HeldOut(data.Count, fraction, seed);
        ImageDataset Part(bool validation)
        {
            var (pixels, labels) = Gather(data.Pixels, data.Labels, data.ImageSize, held, validation);
            return new ImageDataset(pixels, labels, data.Channels, data.Height, data.Width, data.ClassNames);
        }

        return (Part(false), Part(true));
    }

    /// <summary>Splits <paramref name="data"/> into the images to train on and the
    /// <paramref name="fraction"/> held out for validation (see <see cref="ValidationSplit"/>).</summary>
    public static (MnistDataset Train, MnistDataset Validation) SplitValidation(
        this MnistDataset data, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        var held = HeldOut(data.Count, fraction, seed);
        MnistDataset Part(bool validation)
        {
            var (pixels, labels) = Gather(data.Pixels, data.Labels, data.ImageSize, held, validation);
            return new MnistDataset(pixels, labels, data.Rows, data.Columns);
        }

        return (Part(false), Part(true));
    }

    private static (byte[] Pixels, byte[] Labels) Gather(
        byte[] pixels, byte[] labels, int imageSize, bool[] held, bool which)
    {
        var count = held.Count(h => h == which);
        var keptPixels = new byte[count * imageSize];
        var keptLabels = new byte[count];
        for (int i = 0, k = 0; i < held.Length; i++)
        {
            if (held[i] == which)
            {
                pixels.AsSpan(i * imageSize, imageSize).CopyTo(keptPixels.AsSpan(k * imageSize));
                keptLabels[k++] = labels[i];
            }
        }

        return (keptPixels, keptLabels);
    }
}
