using GpuCnn.Datasets.Augmentation;

namespace GpuCnn.Datasets;

/// <summary>
/// Cuts a dataset into mini-batches, shuffled per epoch. The order depends only on the seed and the epoch number, so
/// a run can be repeated, or resumed at any epoch, exactly. An <see cref="ImageBatcher"/> over the same pixels does the
/// work; this keeps MNIST's single mean and std as the defaults.
/// </summary>
public sealed class MnistBatcher : IBatcher
{
    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    private readonly ImageBatcher batcher;

    /// <summary>Prepares batches of <paramref name="batchSize"/> images from <paramref name="data"/>.</summary>
    /// <param name="data">The images to batch.</param>
    /// <param name="batchSize">Images per batch; the last batch of an epoch may hold fewer.</param>
    /// <param name="shuffle">Whether each epoch visits the images in a fresh random order, or in dataset order.</param>
    /// <param name="seed">Seed of the shuffle.</param>
    /// <param name="mean">Subtracted from each pixel after scaling it to [0, 1].</param>
    /// <param name="std">Divides each pixel after the mean is subtracted.</param>
    /// <param name="transform">Augmentation of each image; see <see cref="ImageBatcher"/>.</param>
    public MnistBatcher(
        MnistDataset data, int batchSize, bool shuffle, ulong seed, float mean = Mnist.Mean, float std = Mnist.Std,
        ImageTransform? transform = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        // The view shares the arrays: MNIST is one grey channel, which CHW stores exactly as MNIST does.
        var view = new ImageDataset(data.Pixels, data.Labels, 1, data.Rows, data.Columns, Digits);
        batcher = new ImageBatcher(view, batchSize, shuffle, seed, [mean], [std], transform);
    }

    /// <summary>Images per full batch.</summary>
    public int BatchSize => batcher.BatchSize;

    /// <summary>Batches per epoch, ceil(Count / BatchSize); the last may be partial.</summary>
    public int BatchCount => batcher.BatchCount;

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/>, each image exactly once; see <see cref="ImageBatcher.Epoch"/>.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch) => batcher.Epoch(epoch);

    /// <summary>The dataset indices in the order epoch <paramref name="epoch"/> visits them.</summary>
    public int[] Order(int epoch) => batcher.Order(epoch);

    /// <inheritdoc/>
    public Batch CreateBatch() => batcher.CreateBatch();

    /// <inheritdoc/>
    public void Fill(Batch batch, int epoch, ReadOnlySpan<int> indices) => batcher.Fill(batch, epoch, indices);
}
