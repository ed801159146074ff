namespace GpuCnn.Datasets;

/// <summary>One split of MNIST (or any set of labelled single-channel byte images) held in memory.</summary>
public sealed class MnistDataset
{
    /// <summary>
    /// Wraps <paramref name="pixels"/> and <paramref name="labels"/> without copying them; the dataset owns them from
    /// now on.
    /// </summary>
    /// <param name="pixels">Count * rows * columns bytes, image after image, each row-major.</param>
    /// <param name="labels">One label per image, each 0..9.</param>
    /// <param name="rows">Height of every image.</param>
    /// <param name="columns">Width of every image.</param>
    public MnistDataset(byte[] pixels, byte[] labels, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        LabelledBytes.Check(pixels, labels, (long)rows * columns, $"{rows}x{columns}", IdxReader.MaxLabel + 1);
        Pixels = pixels;
        Labels = labels;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Height of every image in pixels.</summary>
    public int Rows { get; }

    /// <summary>Width of every image in pixels.</summary>
    public int Columns { get; }

    /// <summary>Pixels per image, <see cref="Rows"/> * <see cref="Columns"/>.</summary>
    public int ImageSize => Rows * Columns;

    /// <summary>All pixels, <see cref="Count"/> * <see cref="Rows"/> * <see cref="Columns"/> bytes, row-major.
    /// </summary>
    public byte[] Pixels { get; }

    /// <summary>One label per image, each 0..9.</summary>
    public byte[] Labels { get; }

    /// <summary>The pixels of image <paramref name="index"/>, row-major.</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Pixels.AsSpan(index * ImageSize, ImageSize);
    }

    /// <summary>
    /// Loads an IDX image file and its IDX label file. Either may be raw or gzip-compressed; that is told from the
    /// content, not the extension.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// A file is malformed, truncated or corrupt, or the two files hold different numbers of items. The message names
    /// the file and, where it applies, the byte offset.
    /// </exception>
    public static MnistDataset Load(string imagesPath, string labelsPath)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        IdxImages images = IdxReader.ReadImages(imagesPath);
        byte[] labels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
        {
            throw new InvalidDataException(
                $"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Length} labels; " +
                "they must come from the same split.");
        }
        return new MnistDataset(images.Pixels, labels, images.Rows, images.Columns);
    }

    /// <summary>A copy of <paramref name="count"/> images starting at image <paramref name="start"/>.</summary>
    public MnistDataset Slice(int start, int count)
    {
        var (pixels, labels) = LabelledBytes.Slice(Pixels, Labels, ImageSize, start, count);
        return new MnistDataset(pixels, labels, Rows, Columns);
    }

    /// <summary>
    /// A copy of the images whose label passes <paramref name="labelFilter"/>, in their original order; for example
    /// the digits 0..4 only, to pretrain before transferring to 5..9.
    /// </summary>
    public MnistDataset Where(Func<byte, bool> labelFilter)
    {
        var (pixels, labels) = LabelledBytes.Where(Pixels, Labels, ImageSize, labelFilter);
        return new MnistDataset(pixels, labels, Rows, Columns);
    }

    /// <summary>
    /// A copy of the images labelled with one of <paramref name="classes"/>, in their original order, relabelled
    /// with the class's position in that list: <c>[5, 6, 7, 8, 9]</c> gives digits 5..9 labelled 0..4, ready for a
    /// 5-class head. Turn a prediction back into a digit with <c>classes[prediction]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty or repeats a class.</exception>
    public MnistDataset SelectClasses(IReadOnlyList<byte> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count == 0 || classes.Distinct().Count() != classes.Count)
        {
            throw new ArgumentException(
                $"Classes must be distinct and at least one; got [{string.Join(", ", classes)}].", nameof(classes));
        }

        var newLabel = new int[256];
        Array.Fill(newLabel, -1);
        for (int i = 0; i < classes.Count; i++)
        {
            newLabel[classes[i]] = i;
        }

        MnistDataset kept = Where(label => newLabel[label] >= 0);
        // Where returned fresh arrays, so relabelling in place touches nothing of this dataset.
        for (int i = 0; i < kept.Labels.Length; i++)
        {
            kept.Labels[i] = (byte)newLabel[kept.Labels[i]];
        }

        return kept;
    }
}
