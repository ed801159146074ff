using GpuCnn.Engine;
using GpuCnn.Engine.Training;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// A small in-memory dataset of random 1x28x28 images with labels that depend on the pixels (so a model can learn
/// something), shuffled per epoch from (seed, epoch) alone, as a resumable source must be.
/// </summary>
internal sealed class SyntheticBatches : IBatchSource
{
    private const int ImageSize = 28 * 28;
    private readonly float[] images;
    private readonly int[] labels;
    private readonly int batchSize;
    private readonly ulong seed;
    private readonly bool shuffle;

    public SyntheticBatches(int count, int batchSize, ulong seed, bool shuffle = true)
    {
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
        var random = new SeededRandom(seed + 1000);
        images = new float[count * ImageSize];
        labels = new int[count];
        for (var n = 0; n < count; n++)
        {
            float sum = 0;
            for (var k = 0; k < ImageSize; k++)
            {
                var v = random.NextUniform(-1f, 1f);
                images[n * ImageSize + k] = v;
                sum += k < 100 ? v : 0;
            }

            labels[n] = (int)MathF.Min(9, MathF.Max(0, sum / 2 + 5));
        }
    }

    /// <summary>When set, the batch (epoch, 1-based step) gets a NaN pixel.</summary>
    public (int Epoch, int Step)? PoisonAt { get; init; }

    public int Count => labels.Length;

    public int BatchCount => (Count + batchSize - 1) / batchSize;

    public IEnumerable<TrainingBatch> Epoch(int epoch)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        if (shuffle)
        {
            var random = new SeededRandom(seed * 7919 + (ulong)epoch);
            for (var i = order.Length - 1; i > 0; i--)
            {
                var j = (int)(random.NextUInt64() % (ulong)(i + 1));
                (order[i], order[j]) = (order[j], order[i]);
            }
        }

        var inputs = new float[batchSize * ImageSize];
        var targets = new int[batchSize];
        for (int start = 0, step = 1; start < Count; start += batchSize, step++)
        {
            var n = Math.Min(batchSize, Count - start);
            for (var i = 0; i < n; i++)
            {
                images.AsSpan(order[start + i] * ImageSize, ImageSize).CopyTo(inputs.AsSpan(i * ImageSize));
                targets[i] = labels[order[start + i]];
            }

            if (PoisonAt == (epoch, step))
            {
                inputs[0] = float.NaN;
            }

            yield return new TrainingBatch(inputs, targets, n);
        }
    }
}
