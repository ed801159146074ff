using GpuCnn.Datasets;
using GpuCnn.Engine.Training;

namespace GpuCnn.Cli;

/// <summary>
/// Adapts a batcher (MNIST, CIFAR-10 or an image folder) to the engine's batch source: the same arrays, refilled at
/// every step. With <paramref name="prefetch"/> the next batches are made on another thread while the current step
/// trains; the batches are the same either way.
/// </summary>
internal sealed class BatchSource(IBatcher batcher, bool prefetch = false) : IBatchSource
{
    private readonly BackgroundBatchLoader? loader = prefetch ? new BackgroundBatchLoader(batcher) : null;

    public int BatchCount => batcher.BatchCount;

    public IEnumerable<TrainingBatch> Epoch(int epoch)
    {
        foreach (var batch in loader?.Epoch(epoch) ?? OnThisThread(epoch))
        {
            yield return new TrainingBatch(batch.Images, batch.Labels, batch.Count);
        }
    }

    // The batcher's own order and batches, made on the calling thread into one batch refilled at every step.
    private IEnumerable<Batch> OnThisThread(int epoch)
    {
        int[] order = batcher.Order(epoch);
        var batch = batcher.CreateBatch();
        for (int start = 0; start < order.Length; start += batcher.BatchSize)
        {
            batcher.Fill(batch, epoch, order.AsSpan(start, Math.Min(batcher.BatchSize, order.Length - start)));
            yield return batch;
        }
    }
}
