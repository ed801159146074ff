using GpuCnn.Datasets;

namespace GpuCnn.Engine.Training;

/// <summary>
/// Feeds a <see cref="FitLoop"/> from a dataset batcher (<see cref="MnistBatcher"/>, <see cref="ImageBatcher"/>, or
/// any <see cref="IBatcher"/>): the batcher's own order and batches, the same arrays refilled at every step. With
/// prefetching the next batches are made on another thread (a <see cref="BackgroundBatchLoader"/>) while the
/// current step trains; the batches are the same either way.
/// </summary>
/// <example>
/// <code>
/// var train = new MnistBatcher(mnist.Train, 64, shuffle: true, seed: 0).ToBatchSource(prefetch: true);
/// var test = new MnistBatcher(mnist.Test, 64, shuffle: false, seed: 0).ToBatchSource();
/// new FitLoop(trainer, train, test, epochs: 10).Run();
/// </code>
/// </example>
public sealed class BatcherSource : IBatchSource
{
    private readonly BackgroundBatchLoader? loader;

    /// <summary>Adapts <paramref name="batcher"/>.</summary>
    /// <param name="batcher">Makes the batches.</param>
    /// <param name="prefetch">Make the next batches on another thread while a step trains. One epoch at a time
    /// then: the loader's ring of batches is shared.</param>
    public BatcherSource(IBatcher batcher, bool prefetch = false)
    {
        ArgumentNullException.ThrowIfNull(batcher);
        Batcher = batcher;
        loader = prefetch ? new BackgroundBatchLoader(batcher) : null;
    }

    /// <summary>The batcher adapted.</summary>
    public IBatcher Batcher { get; }

    /// <summary>Whether the batches are made ahead on another thread.</summary>
    public bool Prefetches => loader is not null;

    /// <inheritdoc />
    public int BatchCount => Batcher.BatchCount;

    /// <inheritdoc />
    public IEnumerable<TrainingBatch> Epoch(int epoch)
    {
        foreach (var batch in loader?.Epoch(epoch) ?? Batcher.Epoch(epoch))
        {
            yield return new TrainingBatch(batch.Images, batch.Labels, batch.Count);
        }
    }
}

/// <summary>Adapts dataset batchers to the training loop.</summary>
public static class BatcherExtensions
{
    /// <summary>The batches of <paramref name="batcher"/> as a <see cref="FitLoop"/> source; see
    /// <see cref="BatcherSource"/>.</summary>
    /// <param name="batcher">Makes the batches.</param>
    /// <param name="prefetch">Make the next batches on another thread while a step trains.</param>
    public static BatcherSource ToBatchSource(this IBatcher batcher, bool prefetch = false) =>
        new(batcher, prefetch);
}
