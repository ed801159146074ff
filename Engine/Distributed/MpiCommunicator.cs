namespace GpuCnn.Engine.Distributed;

/// <summary>
/// The world of an Open MPI job (<c>MPI_COMM_WORLD</c>): initialised by the constructor (unless the process already
/// did), finalised by <see cref="Communicator.Dispose()"/>. Call it from one thread only (MPI_THREAD_FUNNELED).
/// </summary>
public sealed unsafe class MpiCommunicator : Communicator
{
    private readonly bool ownsInit;
    // MPI_Request handles by slot; a slot is free again once waited on, so a warm step allocates nothing.
    private nint[] requests = new nint[8];
    private readonly Stack<int> freeSlots = new();
    private bool finished;

    /// <summary>Initialises MPI (when not yet initialised) and joins the world.</summary>
    /// <exception cref="DllNotFoundException">Open MPI is not installed.</exception>
    public MpiCommunicator()
    {
        MpiNative.Load();
        int initialized;
        MpiNative.Check(MpiNative.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0)
        {
            int provided;
            MpiNative.Check(MpiNative.InitThread(null, null, MpiNative.ThreadFunneled, &provided), "MPI_Init_thread");
            ownsInit = true;
        }

        int rank, size;
        MpiNative.Check(MpiNative.CommRank(MpiNative.CommWorld, &rank), "MPI_Comm_rank");
        MpiNative.Check(MpiNative.CommSize(MpiNative.CommWorld, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
        for (var i = requests.Length - 1; i >= 0; i--)
        {
            freeSlots.Push(i);
        }
    }

    /// <inheritdoc />
    public override int Rank { get; }

    /// <inheritdoc />
    public override int Size { get; }

    /// <inheritdoc />
    public override int StartSum(float[] buffer, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, buffer.Length);
        if (freeSlots.Count == 0)
        {
            var old = requests.Length;
            Array.Resize(ref requests, old * 2);
            for (var i = requests.Length - 1; i >= old; i--)
            {
                freeSlots.Push(i);
            }
        }

        var slot = freeSlots.Pop();
        // The caller keeps the array pinned until Wait, as the contract says; fixed only names its address here.
        fixed (float* data = buffer)
        fixed (nint* request = &requests[slot])
        {
            MpiNative.Check(MpiNative.Iallreduce(MpiNative.InPlace, data, count, MpiNative.Float, MpiNative.OpSum,
                MpiNative.CommWorld, request), "MPI_Iallreduce");
        }

        return slot;
    }

    /// <inheritdoc />
    public override bool Poll(int handle)
    {
        int flag;
        fixed (nint* request = &requests[handle])
        {
            // MPI_Test on a finished request frees it and sets it to MPI_REQUEST_NULL; Wait on that returns at once.
            MpiNative.Check(MpiNative.Test(request, &flag, null), "MPI_Test");
        }

        return flag != 0;
    }

    /// <inheritdoc />
    public override void Wait(int handle)
    {
        fixed (nint* request = &requests[handle])
        {
            MpiNative.Check(MpiNative.Wait(request, null), "MPI_Wait");
        }

        freeSlots.Push(handle);
    }

    /// <inheritdoc />
    public override void Sum(Span<double> values)
    {
        fixed (double* data = values)
        {
            MpiNative.Check(MpiNative.Allreduce(MpiNative.InPlace, data, values.Length, MpiNative.Double,
                MpiNative.OpSum, MpiNative.CommWorld), "MPI_Allreduce");
        }
    }

    /// <inheritdoc />
    public override void Broadcast(Span<float> values, int root)
    {
        fixed (float* data = values)
        {
            MpiNative.Check(MpiNative.Bcast(data, values.Length, MpiNative.Float, root, MpiNative.CommWorld),
                "MPI_Bcast");
        }
    }

    /// <summary>Blocks until every rank has reached the barrier.</summary>
    public void Barrier() => MpiNative.Check(MpiNative.Barrier(MpiNative.CommWorld), "MPI_Barrier");

    /// <inheritdoc />
    public override void Abort(string message, int code)
    {
        Console.Error.WriteLine($"rank {Rank}: {message}");
        Console.Error.Flush();
        MpiNative.Abort(MpiNative.CommWorld, code);
    }

    /// <summary>
    /// Finalises MPI when this object initialised it. Finalising waits for the other ranks, so a rank that fails
    /// must not get here: it leaves without finalising, and mpirun, seeing it exit so, ends the whole job.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (finished || !ownsInit)
        {
            return;
        }

        finished = true;
        int done;
        MpiNative.Check(MpiNative.Finalized(&done), "MPI_Finalized");
        if (done == 0)
        {
            MpiNative.Check(MpiNative.Finalize(), "MPI_Finalize");
        }
    }
}
