namespace GpuCnn.Datasets;

/// <summary>
/// Cuts a dataset into mini-batches, shuffled per epoch. The order depends only on the seed and the epoch number, so
/// a run can be repeated, or resumed at any epoch, exactly.
/// </summary>
public sealed class MnistBatcher
{
    private readonly MnistDataset _data;
    private readonly bool _shuffle;
    private readonly ulong _seed;
    // Pixels take 256 values, so normalising is a table lookup rather than arithmetic per pixel.
    private readonly float[] _normalised = new float[256];

    /// <summary>Prepares batches of <paramref name="batchSize"/> images from <paramref name="data"/>.</summary>
    /// <param name="data">The images to batch.</param>
    /// <param name="batchSize">Images per batch; the last batch of an epoch may hold fewer.</param>
    /// <param name="shuffle">Whether each epoch visits the images in a fresh random order, or in dataset order.</param>
    /// <param name="seed">Seed of the shuffle.</param>
    /// <param name="mean">Subtracted from each pixel after scaling it to [0, 1].</param>
    /// <param name="std">Divides each pixel after the mean is subtracted.</param>
    public MnistBatcher(
        MnistDataset data, int batchSize, bool shuffle, ulong seed, float mean = Mnist.Mean, float std = Mnist.Std)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (!(std > 0f) || !float.IsFinite(std) || !float.IsFinite(mean))
        {
            throw new ArgumentOutOfRangeException(
                nameof(std),
                $"Normalisation needs a finite mean and a positive finite std, got mean {mean}, std {std}.");
        }
        _data = data;
        _shuffle = shuffle;
        _seed = seed;
        BatchSize = batchSize;
        for (int p = 0; p < _normalised.Length; p++)
        {
            _normalised[p] = (p / 255f - mean) / std;
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
        var batch = new Batch(BatchSize, _data.Rows, _data.Columns);
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
        int size = _data.ImageSize;
        Span<float> images = batch.Images;
        for (int n = 0; n < indices.Length; n++)
        {
            ReadOnlySpan<byte> source = _data.Image(indices[n]);
            Span<float> target = images.Slice(n * size, size);
            for (int k = 0; k < size; k++)
            {
                target[k] = _normalised[source[k]];
            }
            batch.Labels[n] = _data.Labels[indices[n]];
        }
        // Clearing the unused tail of a partial batch keeps stale images from looking valid to a careless reader.
        images[(indices.Length * size)..].Clear();
        batch.Labels.AsSpan(indices.Length).Fill(-1);
        batch.Count = indices.Length;
    }
}
