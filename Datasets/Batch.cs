namespace GpuCnn.Datasets;

/// <summary>
/// One mini-batch of normalised images and their labels. An <see cref="ImageBatcher"/> (or
/// <see cref="MnistBatcher"/>) refills the same instance at every step, so callers copy whatever they keep past the
/// next step.
/// </summary>
public sealed class Batch
{
    internal Batch(int capacity, int channels, int rows, int columns)
    {
        Capacity = capacity;
        Channels = channels;
        Rows = rows;
        Columns = columns;
        Images = new float[capacity * channels * rows * columns];
        Labels = new int[capacity];
    }

    /// <summary>
    /// Images as NCHW, <see cref="Capacity"/> * <see cref="Channels"/> * <see cref="Rows"/> * <see cref="Columns"/>
    /// floats, each <c>(pixel / 255 - mean[c]) / std[c]</c> for its channel c. Only the first <see cref="Count"/>
    /// images are valid; the rest are zero.
    /// </summary>
    public float[] Images { get; }

    /// <summary>Class indices of the first <see cref="Count"/> images; the rest are -1.</summary>
    public int[] Labels { get; }

    /// <summary>How many images this batch holds; less than <see cref="Capacity"/> only for a partial last batch.
    /// </summary>
    public int Count { get; internal set; }

    /// <summary>The batch size the arrays are sized for.</summary>
    public int Capacity { get; }

    /// <summary>Channels of each image: 1 for MNIST, 3 for RGB.</summary>
    public int Channels { get; }

    /// <summary>Height of each image.</summary>
    public int Rows { get; }

    /// <summary>Width of each image.</summary>
    public int Columns { get; }
}
