using GpuCnn.Datasets;
using GpuCnn.Engine.Training;

namespace GpuCnn.Cli;

/// <summary>Adapts the MNIST batcher to the engine's batch source: the same arrays, refilled at every step.</summary>
internal sealed class MnistBatchSource(MnistBatcher batcher) : IBatchSource
{
    public int BatchCount => batcher.BatchCount;

    public IEnumerable<TrainingBatch> Epoch(int epoch)
    {
        foreach (var batch in batcher.Epoch(epoch))
        {
            yield return new TrainingBatch(batch.Images, batch.Labels, batch.Count);
        }
    }
}
