using GpuCnn.Datasets.Augmentation;

namespace GpuCnn.Datasets;

/// <summary>
/// Cuts an <see cref="ImageDataset"/> into mini-batches of NCHW floats normalised per channel, shuffled per epoch.
/// The order depends only on the seed and the epoch number, so a run can be repeated, or resumed at any epoch,
/// exactly. An optional <see cref="ImageTransform"/> augments each image as its batch is made.
/// </summary>
public sealed class ImageBatcher : IBatcher
{
    private readonly ImageDataset _data;
    private readonly bool _shuffle;
    private readonly ulong _seed;
    // Pixels take 256 values per channel, so normalising is a table lookup rather than arithmetic per pixel.
    private readonly float[][] _normalised;
    private readonly ImageTransform? _transform;
    private readonly Normalize? _normalize;

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
        _data = data;
        _shuffle = shuffle;
        _seed = seed;
        BatchSize = batchSize;
        _normalised = new float[data.Channels][];
        for (int c = 0; c < data.Channels; c++)
        {
            if (!(std[c] > 0f) || !float.IsFinite(std[c]) || !float.IsFinite(mean[c]))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(std),
                    $"Normalisation needs a finite mean and a positive finite std, got mean {mean[c]}, std {std[c]} " +
                    $"for channel {c}.");
            }
            _normalised[c] = new float[256];
            for (int p = 0; p < 256; p++)
            {
                _normalised[c][p] = (p / 255f - mean[c]) / std[c];
            }
        }
        if (transform is not null)
        {
            _transform = transform;
            _normalize = new Normalize(mean, std);
        }
    }

    /// <summary>Images per full batch.</summary>
    public int BatchSize { get; }

    /// <summary>Batches per epoch, ceil(Count / BatchSize); the last may be partial.</summary>
    public int BatchCount => (int)(((long)_data.Count + BatchSize - 1) / BatchSize);

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/>, each image exactly once. With shuffling, the order depends only
    /// on (seed, epoch). Every step yields the same <see cref="Batch"/> instance refilled, so an epoch allocates once,
    /// when enumeration starts; callers copy what they keep.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        int[] order = Order(epoch);
        var batch = CreateBatch();
        for (int start = 0; start < order.Length; start += BatchSize)
        {
            Fill(batch, epoch, order.AsSpan(start, Math.Min(BatchSize, order.Length - start)));
            yield return batch;
        }
    }

    /// <inheritdoc/>
    public Batch CreateBatch() => new(BatchSize, _data.Channels, _data.Height, _data.Width);

    /// <summary>The dataset indices in the order epoch <paramref name="epoch"/> visits them.</summary>
    public int[] Order(int epoch)
    {
        var order = new int[_data.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        if (_shuffle)
        {
            var rng = SplitMix64.ForStream(_seed, unchecked((ulong)epoch));
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
        if (batch.Capacity < indices.Length || batch.Channels != _data.Channels || batch.Rows != _data.Height ||
            batch.Columns != _data.Width)
        {
            throw new ArgumentException(
                $"A batch of {batch.Capacity} {batch.Channels}x{batch.Rows}x{batch.Columns} images cannot hold " +
                $"{indices.Length} {_data.Channels}x{_data.Height}x{_data.Width} images; make it with CreateBatch.",
                nameof(batch));
        }
        int size = _data.ImageSize, plane = _data.Height * _data.Width;
        var shape = new ImageShape(_data.Channels, _data.Height, _data.Width);
        Span<float> images = batch.Images;
        for (int n = 0; n < indices.Length; n++)
        {
            ReadOnlySpan<byte> source = _data.Image(indices[n]);
            Span<float> target = images.Slice(n * size, size);
            if (_transform is null)
            {
                for (int c = 0; c < _data.Channels; c++)
                {
                    float[] table = _normalised[c];
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
                var random = new AugmentationRandom(_seed, epoch, indices[n]);
                _transform.Apply(target, shape, ref random);
                _normalize!.Apply(target, shape, ref random);
            }
            batch.Labels[n] = _data.Labels[indices[n]];
        }
        // Clearing the unused tail of a partial batch keeps stale images from looking valid to a careless reader.
        images[(indices.Length * size)..].Clear();
        batch.Labels.AsSpan(indices.Length).Fill(-1);
        batch.Count = indices.Length;
    }
}
