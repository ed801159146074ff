namespace GpuCnn.Engine.Distributed;

/// <summary>
/// The collective operations data-parallel training needs among a group of ranks (processes), each running the
/// same program: a non-blocking in-place sum of float buffers, a blocking sum of a few doubles, a broadcast and
/// an abort. <see cref="MpiCommunicator"/> does them with MPI; tests use an in-process one.
/// </summary>
public abstract class Communicator : IDisposable
{
    /// <summary>This rank's index, 0 to <see cref="Size"/> - 1. Rank 0 prints and writes files.</summary>
    public abstract int Rank { get; }

    /// <summary>Ranks in the group.</summary>
    public abstract int Size { get; }

    /// <summary>True on rank 0.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>
    /// Starts summing <paramref name="buffer"/>[0..<paramref name="count"/>) across the ranks, in place: when
    /// <see cref="Wait"/> returns, every rank holds the sum. The buffer must stay where it is until then (allocate
    /// it pinned: <c>GC.AllocateArray&lt;float&gt;(n, pinned: true)</c>). Every rank must start the same sums in
    /// the same order.
    /// </summary>
    /// <returns>A handle for <see cref="Poll"/> and <see cref="Wait"/>.</returns>
    public abstract int StartSum(float[] buffer, int count);

    /// <summary>Lets a started sum progress without blocking; true when it has finished (then call
    /// <see cref="Wait"/> anyway to release the handle).</summary>
    public abstract bool Poll(int handle);

    /// <summary>Blocks until the sum started as <paramref name="handle"/> has finished, and releases the handle.
    /// </summary>
    public abstract void Wait(int handle);

    /// <summary>Sums <paramref name="values"/> across the ranks, in place, blocking.</summary>
    public abstract void Sum(Span<double> values);

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="values"/> to every rank, blocking.</summary>
    public abstract void Broadcast(Span<float> values, int root);

    /// <summary>Ends every rank of the job at once with <paramref name="code"/>, after printing
    /// <paramref name="message"/> on this rank's standard error.</summary>
    public abstract void Abort(string message, int code);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the group (MPI: finalises).</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
