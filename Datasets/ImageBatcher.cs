namespace GpuCnn.Datasets;

/// <summary>
/// Cuts an <see cref="ImageDataset"/> into mini-batches of NCHW floats normalised per channel, shuffled per epoch.
/// The order depends only on the seed and the epoch number, so a run can be repeated, or resumed at any epoch,
/// exactly.
/// </summary>
public sealed class ImageBatcher
{
    private readonly ImageDataset _data;
    private readonly bool _shuffle;
    private readonly ulong _seed;
    // Pixels take 256 values per channel, so normalising is a table lookup rather than arithmetic per pixel.
    private readonly float[][] _normalised;

    /// <summary>Prepares batches of <paramref name="batchSize"/> images from <paramref name="data"/>.</summary>
    /// <param name="data">The images to batch.</param>
    /// <param name="batchSize">Images per batch; the last batch of an epoch may hold fewer.</param>
    /// <param name="shuffle">Whether each epoch visits the images in a fresh random order, or in dataset order.</param>
    /// <param name="seed">Seed of the shuffle.</param>
    /// <param name="mean">Per channel, subtracted from each pixel after scaling it to [0, 1].</param>
    /// <param name="std">Per channel, divides each pixel after the mean is subtracted.</param>
    public ImageBatcher(
        ImageDataset data, int batchSize, bool shuffle, ulong seed, IReadOnlyList<float> mean,
        IReadOnlyList<float> std)
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
        var batch = new Batch(BatchSize, _data.Channels, _data.Height, _data.Width);
        for (int start = 0; start < order.Length; start += BatchSize)
        {
            Fill(batch, order.AsSpan(start, Math.Min(BatchSize, order.Length - start)));
            yield return batch;
        }
    }

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

    private void Fill(Batch batch, ReadOnlySpan<int> indices)
    {
        int size = _data.ImageSize, plane = _data.Height * _data.Width;
        Span<float> images = batch.Images;
        for (int n = 0; n < indices.Length; n++)
        {
            ReadOnlySpan<byte> source = _data.Image(indices[n]);
            Span<float> target = images.Slice(n * size, size);
            for (int c = 0; c < _data.Channels; c++)
            {
                float[] table = _normalised[c];
                for (int k = c * plane; k < (c + 1) * plane; k++)
                {
                    target[k] = table[source[k]];
                }
            }
            batch.Labels[n] = _data.Labels[indices[n]];
        }
        // Clearing the unused tail of a partial batch keeps stale images from looking valid to a careless reader.
        images[(indices.Length * size)..].Clear();
        batch.Labels.AsSpan(indices.Length).Fill(-1);
        batch.Count = indices.Length;
    }
}
