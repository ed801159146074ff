using GpuCnn.Datasets;
using GpuCnn.Engine.Training;

namespace GpuCnn.Cli;

/// <summary>
/// Adapts the MNIST batcher to the engine's batch source: the same arrays, refilled at every step. With
/// <paramref name="prefetch"/> the next batches are made on another thread while the current step trains; the
/// batches are the same either way.
/// </summary>
internal sealed class MnistBatchSource(MnistBatcher batcher, bool prefetch = false) : IBatchSource
{
    private readonly BackgroundBatchLoader? loader = prefetch ? new BackgroundBatchLoader(batcher) : null;

    public int BatchCount => batcher.BatchCount;

    public IEnumerable<TrainingBatch> Epoch(int epoch)
    {
        foreach (var batch in loader?.Epoch(epoch) ?? batcher.Epoch(epoch))
        {
            yield return new TrainingBatch(batch.Images, batch.Labels, batch.Count);
        }
    }
}
