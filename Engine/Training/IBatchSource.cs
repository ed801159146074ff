namespace GpuCnn.Engine.Training;

/// <summary>
/// One mini-batch as the training loop sees it: <paramref name="Count"/> samples laid out as the network's input
/// (NCHW floats) and their class labels. The arrays may be longer than <paramref name="Count"/> samples and may be
/// refilled by the source at the next step.
/// </summary>
public readonly record struct TrainingBatch(float[] Inputs, int[] Labels, int Count);

/// <summary>
/// Where a <see cref="FitLoop"/> gets its batches. The loop knows nothing of files; a source adapts them.
/// <see cref="BatcherSource"/> adapts the dataset library's batchers (MNIST, CIFAR-10, image folders).
/// </summary>
public interface IBatchSource
{
    /// <summary>Batches per epoch.</summary>
    int BatchCount { get; }

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> (1 for the first training epoch; evaluation asks for 0). The
    /// order must depend only on the epoch number and the source's own fixed settings: a resumed run asks again
    /// for the epoch it stopped in and skips the batches already seen, and is exact only if it gets the same ones.
    /// </summary>
    IEnumerable<TrainingBatch> Epoch(int epoch);
}
