namespace GpuCnn.Datasets;

/// <summary>
/// Labelled byte images of any channel count held in memory, each stored planar (CHW): all of channel 0, then all
/// of channel 1, and so on. CIFAR-10 and image folders load into this; <see cref="ImageBatcher"/> batches it.
/// </summary>
public sealed class ImageDataset
{
    /// <summary>
    /// Wraps <paramref name="pixels"/> and <paramref name="labels"/> without copying them; the dataset owns them from
    /// now on.
    /// </summary>
    /// <param name="pixels">Count * channels * height * width bytes, image after image, each CHW.</param>
    /// <param name="labels">One class index per image, each below the number of <paramref name="classNames"/>.
    /// </param>
    /// <param name="channels">Channels per image, 1 to 4.</param>
    /// <param name="height">Rows of every image.</param>
    /// <param name="width">Columns of every image.</param>
    /// <param name="classNames">The name of each class index.</param>
    public ImageDataset(
        byte[] pixels, byte[] labels, int channels, int height, int width, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, 4);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfZero(classNames.Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classNames.Count, 256);
        LabelledBytes.Check(
            pixels, labels, (long)channels * height * width, $"{channels}x{height}x{width}", classNames.Count);
        Pixels = pixels;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        ClassNames = classNames;
    }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Channels per image: 1 grey, 3 RGB.</summary>
    public int Channels { get; }

    /// <summary>Rows of every image.</summary>
    public int Height { get; }

    /// <summary>Columns of every image.</summary>
    public int Width { get; }

    /// <summary>Bytes per image, <see cref="Channels"/> * <see cref="Height"/> * <see cref="Width"/>.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>All pixels, image after image, each CHW.</summary>
    public byte[] Pixels { get; }

    /// <summary>One class index per image.</summary>
    public byte[] Labels { get; }

    /// <summary>The name of each class index.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The pixels of image <paramref name="index"/>, CHW.</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Pixels.AsSpan(index * ImageSize, ImageSize);
    }

    /// <summary>A copy of <paramref name="count"/> images starting at image <paramref name="start"/>.</summary>
    public ImageDataset Slice(int start, int count)
    {
        var (pixels, labels) = LabelledBytes.Slice(Pixels, Labels, ImageSize, start, count);
        return new ImageDataset(pixels, labels, Channels, Height, Width, ClassNames);
    }

    /// <summary>A copy of the images whose label passes <paramref name="labelFilter"/>, in their original order.
    /// </summary>
    public ImageDataset Where(Func<byte, bool> labelFilter)
    {
        var (pixels, labels) = LabelledBytes.Where(Pixels, Labels, ImageSize, labelFilter);
        return new ImageDataset(pixels, labels, Channels, Height, Width, ClassNames);
    }
}
