namespace GpuCnn.Datasets;

/// <summary>
/// Copying parts of a set of fixed-size byte images with one label each; the datasets' <c>Slice</c> and
/// <c>Where</c> share it.
/// </summary>
internal static class LabelledBytes
{
    /// <summary>
    /// Checks that <paramref name="pixels"/> holds one image of <paramref name="imageSize"/> bytes per label and that
    /// every label is below <paramref name="classCount"/>; <paramref name="shape"/> describes an image in messages.
    /// </summary>
    public static void Check(byte[] pixels, byte[] labels, long imageSize, string shape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if (pixels.LongLength != labels.Length * imageSize)
        {
            throw new ArgumentException(
                $"{labels.Length} labels of {shape} images need {labels.Length * imageSize} pixels, but " +
                $"{pixels.Length} were given.",
                nameof(pixels));
        }
        int bad = classCount > byte.MaxValue
            ? -1
            : labels.AsSpan().IndexOfAnyInRange((byte)classCount, byte.MaxValue);
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"Label {labels[bad]} of item {bad} is outside 0..{classCount - 1}.", nameof(labels));
        }
    }

    /// <summary>Images <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1.</summary>
    public static (byte[] Pixels, byte[] Labels) Slice(
        byte[] pixels, byte[] labels, int imageSize, int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (start > labels.Length - count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(count), $"Slice({start}, {count}) runs past the end of a dataset of {labels.Length} images.");
        }
        return (pixels.AsSpan(start * imageSize, count * imageSize).ToArray(), labels.AsSpan(start, count).ToArray());
    }

    /// <summary>The images whose label passes <paramref name="labelFilter"/>, in their original order.</summary>
    public static (byte[] Pixels, byte[] Labels) Where(
        byte[] pixels, byte[] labels, int imageSize, Func<byte, bool> labelFilter)
    {
        ArgumentNullException.ThrowIfNull(labelFilter);
        var keep = new List<int>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (labelFilter(labels[i]))
            {
                keep.Add(i);
            }
        }
        var keptPixels = new byte[keep.Count * imageSize];
        var keptLabels = new byte[keep.Count];
        for (int k = 0; k < keep.Count; k++)
        {
            pixels.AsSpan(keep[k] * imageSize, imageSize).CopyTo(keptPixels.AsSpan(k * imageSize));
            keptLabels[k] = labels[keep[k]];
        }
        return (keptPixels, keptLabels);
    }
}
