using GpuCnn.Datasets.Augmentation;

namespace GpuCnn.Datasets;

/// <summary>
/// Cuts an <see cref="ImageDataset"/> into mini-batches of NCHW floats normalised per channel, shuffled per epoch.
/// The order depends only on the seed and the epoch number, so a run can be repeated, or resumed at any epoch,
/// exactly. An optional <see cref="ImageTransform"/> augments each image as its batch is made.
/// </summary>
public sealed class ImageBatcher : IBatcher
{
    private readonly ImageDataset data;
    private readonly bool shuffle;
    private readonly ulong seed;
    // Pixels take 256 values per channel, so normalising is a table lookup rather than arithmetic per pixel.
    private readonly float[][] normalised;
    private readonly ImageTransform? transform;
    private readonly Normalize? normalize;

    /// <summary>Prepares batches of <paramref name="batchSize"/> images from <paramref name="data"/>.</summary>
    /// <param name="data">The images to batch.</param>
    /// <param name="batchSize">Images per batch; the last batch of an epoch may hold fewer.</param>
    /// <param name="shuffle">Whether each epoch visits the images in a fresh random order, or in dataset order.</param>
    /// <param name="seed">Seed of the shuffle.</param>
    /// <param name="mean">Per channel, subtracted from each pixel after scaling it to [0, 1].</param>
    /// <param name="std">Per channel, divides each pixel after the mean is subtracted.</param>
    /// <param name="transform">Augmentation applied to each image scaled to [0, 1], before the mean and std; its
    /// random choices for image i in epoch e depend only on (<paramref name="seed"/>, e, i).</param>
    public ImageBatcher(
        ImageDataset data, int batchSize, bool shuffle, ulong seed, IReadOnlyList<float> mean,
        IReadOnlyList<float> std, ImageTransform? transform = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (mean.Count != data.Channels || std.Count != data.Channels)
        {
            throw new ArgumentException(
                $"The images have {data.Channels} channels but {mean.Count} means and {std.Count} stds were given; " +
                "give one of each per channel.",
                nameof(mean));
        }
        this.data = data;
        this.shuffle = shuffle;
        this.seed = seed;
        BatchSize = batchSize;
        normalised = new float[data.Channels][];
        for (int c = 0; c < data.Channels; c++)
        {
            if (!(std[c] > 0f) || !float.IsFinite(std[c]) || !float.IsFinite(mean[c]))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(std),
                    $"Normalisation needs a finite mean and a positive finite std, got mean {mean[c]}, std {std[c]} " +
                    $"for channel {c}.");
            }
            normalised[c] = new float[256];
            for (int p = 0; p < 256; p++)
            {
                normalised[c][p] = (p / 255f - mean[c]) / std[c];
            }
        }
        if (transform is not null)
        {
            this.transform = transform;
            normalize = new Normalize(mean, std);
        }
    }

    /// <summary>Images per full batch.</summary>
    public int BatchSize { get; }

    /// <summary>Batches per epoch, ceil(Count / BatchSize); the last may be partial.</summary>
    public int BatchCount => (int)(((long)data.Count + BatchSize - 1) / BatchSize);

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/>, each image exactly once. With shuffling, the order depends only
    /// on (seed, epoch). Every step yields the same <see cref="Batch"/> instance refilled, so an epoch allocates once,
    /// when enumeration starts; callers copy what they keep.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch) => IBatcher.OnCallingThread(this, epoch);

    /// <inheritdoc/>
    public Batch CreateBatch() => new(BatchSize, data.Channels, data.Height, data.Width);

    /// <summary>The dataset indices in the order epoch <paramref name="epoch"/> visits them.</summary>
    public int[] Order(int epoch)
    {
        var order = new int[data.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        if (shuffle)
        {
            var rng = SplitMix64.ForStream(seed, unchecked((ulong)epoch));
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = rng.NextBelow(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        return order;
    }

    /// <inheritdoc/>
    public void Fill(Batch batch, int epoch, ReadOnlySpan<int> indices)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Capacity < indices.Length || batch.Channels != data.Channels || batch.Rows != data.Height ||
            batch.Columns != data.Width)
        {
            throw new ArgumentException(
                $"A batch of {batch.Capacity} {batch.Channels}x{batch.Rows}x{batch.Columns} images cannot hold " +
                $"{indices.Length} {data.Channels}x{data.Height}x{data.Width} images; make it with CreateBatch.",
                nameof(batch));
        }
        int size = data.ImageSize, plane = data.Height * data.Width;
        var shape = new ImageShape(data.Channels, data.Height, data.Width);
        Span<float> images = batch.Images;
        for (int n = 0; n < indices.Length; n++)
        {
            ReadOnlySpan<byte> source = data.Image(indices[n]);
            Span<float> target = images.Slice(n * size, size);
            if (transform is null)
            {
                for (int c = 0; c < data.Channels; c++)
                {
                    float[] table = normalised[c];
                    for (int k = c * plane; k < (c + 1) * plane; k++)
                    {
                        target[k] = table[source[k]];
                    }
                }
            }
            else
            {
                // Geometric transforms fill with zeros, which must mean black as in the usual recipes, so they see
                // plain [0, 1] pixels and the mean and std come last.
                for (int k = 0; k < size; k++)
                {
                    target[k] = source[k] / 255f;
                }
                var random = new AugmentationRandom(seed, epoch, indices[n]);
                transform.Apply(target, shape, ref random);
                normalize!.Apply(target, shape, ref random);
            }
            batch.Labels[n] = data.Labels[indices[n]];
        }
        // Clearing the unused tail of a partial batch keeps stale images from looking valid to a careless reader.
        images[(indices.Length * size)..].Clear();
        batch.Labels.AsSpan(indices.Length).Fill(-1);
        batch.Count = indices.Length;
    }
}
