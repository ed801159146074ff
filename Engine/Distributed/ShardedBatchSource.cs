using GpuCnn.Engine.Training;

namespace GpuCnn.Engine.Distributed;

/// <summary>
/// One rank's share of every batch of a global source: samples [n·r/R, n·(r+1)/R) of a batch of n, copied into
/// arrays of its own (grown once, then reused); <c>sample</c> is the floats of one input. Shards differ by at most
/// one sample; a rank may get none when a batch has fewer samples than there are ranks.
/// </summary>
internal sealed class ShardedBatchSource(IBatchSource global, int rank, int size, int sample) : IBatchSource
{
    private float[] inputs = [];
    private int[] labels = [];

    public int BatchCount => global.BatchCount;

    public IEnumerable<TrainingBatch> Epoch(int epoch)
    {
        foreach (var batch in global.Epoch(epoch))
        {
            var (first, count) = Range(batch.Count, rank, size);
            if (inputs.Length < count * sample)
            {
                inputs = new float[count * sample];
                labels = new int[count];
            }

            Array.Copy(batch.Inputs, first * sample, inputs, 0, count * sample);
            Array.Copy(batch.Labels, first, labels, 0, count);
            yield return new TrainingBatch(inputs, labels, count);
        }
    }

    /// <summary>The first sample and the count of rank <paramref name="rank"/>'s shard of a batch of
    /// <paramref name="count"/>.</summary>
    public static (int First, int Count) Range(int count, int rank, int size)
    {
        var first = (int)((long)count * rank / size);
        var end = (int)((long)count * (rank + 1) / size);
        return (first, end - first);
    }
}
