namespace GpuCnn.Datasets;

/// <summary>
/// Something that can fill batches one at a time into buffers it did not allocate itself, which is what a
/// <see cref="BackgroundBatchLoader"/> needs to prepare batches ahead on another thread.
/// </summary>
public interface IBatcher
{
    /// <summary>Images per full batch.</summary>
    int BatchSize { get; }

    /// <summary>Batches per epoch; the last may be partial.</summary>
    int BatchCount { get; }

    /// <summary>The dataset indices in the order epoch <paramref name="epoch"/> visits them.</summary>
    int[] Order(int epoch);

    /// <summary>A new, empty batch sized for <see cref="BatchSize"/> images of this batcher's shape.</summary>
    Batch CreateBatch();

    /// <summary>
    /// Fills <paramref name="batch"/> with the images at <paramref name="indices"/> as epoch
    /// <paramref name="epoch"/> sees them. Safe to call from one thread while other batches are being read.
    /// </summary>
    void Fill(Batch batch, int epoch, ReadOnlySpan<int> indices);

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> in <see cref="Order"/>, made on the calling thread. Every step
    /// yields the same <see cref="Batch"/> refilled, so an epoch allocates once, when enumeration starts; callers
    /// copy what they keep past the next step. A <see cref="BackgroundBatchLoader"/> yields the same sequence.
    /// </summary>
    IEnumerable<Batch> Epoch(int epoch) => OnCallingThread(this, epoch);

    // The one loop behind every batcher's Epoch: ImageBatcher's own public Epoch calls it too.
    internal static IEnumerable<Batch> OnCallingThread(IBatcher batcher, int epoch)
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
