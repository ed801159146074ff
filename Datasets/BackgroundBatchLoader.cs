using System.Runtime.ExceptionServices;

namespace GpuCnn.Datasets;

/// <summary>
/// Makes the batches of an epoch on another thread, up to <see cref="Depth"/> steps ahead of the consumer, so that
/// decoding, augmenting and normalising overlap with the training step. The batches and their order are exactly
/// those of the batcher's own epoch; they come from a ring of <see cref="Depth"/> + 1 batches allocated once, so a
/// step allocates nothing.
/// </summary>
/// <remarks>
/// A yielded batch stays valid until the consumer asks for the next one, as with the batcher's own epoch. Ending the
/// enumeration early (break, an exception, cancellation) stops the producer and waits for it before returning; an
/// exception thrown while making a batch is rethrown to the consumer at the step that batch was due.
/// </remarks>
public sealed class BackgroundBatchLoader
{
    private readonly IBatcher batcher;
    private readonly Batch[] ring;
    private int running;

    /// <summary>Prepares the batches of <paramref name="batcher"/> up to <paramref name="depth"/> steps ahead.
    /// </summary>
    /// <param name="batcher">Makes the batches.</param>
    /// <param name="depth">Batches made ahead of the one in use; 2 keeps the producer busy without hoarding memory.
    /// </param>
    public BackgroundBatchLoader(IBatcher batcher, int depth = 2)
    {
        ArgumentNullException.ThrowIfNull(batcher);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(depth);
        this.batcher = batcher;
        Depth = depth;
        // One more than the depth: the consumer holds one batch while the producer fills up to Depth others.
        ring = new Batch[depth + 1];
        for (int i = 0; i < ring.Length; i++)
        {
            ring[i] = batcher.CreateBatch();
        }
    }

    /// <summary>Batches made ahead of the one the consumer holds.</summary>
    public int Depth { get; }

    /// <summary>Batches per epoch, as the batcher makes them.</summary>
    public int BatchCount => batcher.BatchCount;

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/>, identical to the batcher's, made on a background thread.
    /// One epoch at a time: the ring of batches is shared.
    /// </summary>
    /// <param name="epoch">The epoch number.</param>
    /// <param name="cancellation">Stops the producer and makes the consumer's wait throw
    /// <see cref="OperationCanceledException"/>.</param>
    public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancellation = default)
    {
        if (Interlocked.Exchange(ref running, 1) != 0)
        {
            throw new InvalidOperationException(
                "An epoch of this loader is still being enumerated; finish or dispose it before starting another.");
        }
        try
        {
            foreach (var batch in Run(epoch, cancellation))
            {
                yield return batch;
            }
        }
        finally
        {
            Volatile.Write(ref running, 0);
        }
    }

    private IEnumerable<Batch> Run(int epoch, CancellationToken cancellation)
    {
        int steps = batcher.BatchCount;
        using var producerStop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var free = new SemaphoreSlim(ring.Length);
        using var ready = new SemaphoreSlim(0);
        var progress = new Progress();
        var producer = Task.Factory.StartNew(
            () => Produce(epoch, steps, free, ready, progress, producerStop.Token),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            for (int step = 0; step < steps; step++)
            {
                if (step > 0)
                {
                    free.Release(); // the consumer is done with the batch of the previous step
                }
                ready.Wait(cancellation);
                if (step >= Volatile.Read(ref progress.Produced))
                {
                    progress.Error!.Throw();
                }
                yield return ring[step % ring.Length];
            }
        }
        finally
        {
            // The producer must be stopped before the semaphores are disposed and before the ring is reused.
            producerStop.Cancel();
            producer.Wait(CancellationToken.None);
        }
    }

    private void Produce(
        int epoch, int steps, SemaphoreSlim free, SemaphoreSlim ready, Progress progress, CancellationToken stop)
    {
        try
        {
            int[] order = batcher.Order(epoch);
            int size = batcher.BatchSize;
            for (int step = 0; step < steps; step++)
            {
                free.Wait(stop);
                int start = step * size;
                var indices = order.AsSpan(start, Math.Min(size, order.Length - start));
                batcher.Fill(ring[step % ring.Length], epoch, indices);
                Volatile.Write(ref progress.Produced, step + 1);
                ready.Release();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The consumer stopped early; it is not waiting for anything more.
        }
        catch (Exception e)
        {
            progress.Error = ExceptionDispatchInfo.Capture(e);
            ready.Release(); // wakes the consumer at the step that failed, which then rethrows
        }
    }

    // Shared between the producer and the consumer of one epoch.
    private sealed class Progress
    {
        public int Produced;
        public ExceptionDispatchInfo? Error;
    }
}
