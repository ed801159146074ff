using GpuCnn.Engine.Distributed;

namespace GpuCnn.Tests.Engine.Distributed;

/// <summary>
/// A group of ranks inside one process, one thread each, for testing what runs on top of a communicator without
/// MPI. A sum starts when asked and is carried out when waited on: every rank publishes its buffer, all add the
/// buffers in rank order (so every rank gets the same bits) and write the sum back into their own.
/// </summary>
internal sealed class ThreadCommunicator : Communicator
{
    private readonly Group group;
    private readonly List<(float[] Buffer, int Count)> started = [];

    private ThreadCommunicator(Group group, int rank)
    {
        this.group = group;
        Rank = rank;
    }

    public override int Rank { get; }

    public override int Size => group.Size;

    /// <summary>One communicator per rank of a new group of <paramref name="size"/>.</summary>
    public static ThreadCommunicator[] Create(int size)
    {
        var group = new Group(size);
        return [.. Enumerable.Range(0, size).Select(r => new ThreadCommunicator(group, r))];
    }

    public override int StartSum(float[] buffer, int count)
    {
        started.Add((buffer, count));
        return started.Count - 1;
    }

    public override bool Poll(int handle) => false;

    public override void Wait(int handle)
    {
        var (buffer, count) = started[handle];
        group.Floats[Rank] = buffer;
        group.Barrier.SignalAndWait();
        var sum = new float[count];
        for (var r = 0; r < Size; r++)
        {
            if (group.Floats[r]!.Length < count)
            {
                throw new InvalidOperationException($"Rank {r} summed fewer floats than rank {Rank}.");
            }

            for (var i = 0; i < count; i++)
            {
                sum[i] += group.Floats[r]![i];
            }
        }

        group.Barrier.SignalAndWait();
        sum.CopyTo(buffer, 0);
    }

    public override void Sum(Span<double> values)
    {
        group.Doubles[Rank] = values.ToArray();
        group.Barrier.SignalAndWait();
        var sum = new double[values.Length];
        for (var r = 0; r < Size; r++)
        {
            for (var i = 0; i < sum.Length; i++)
            {
                sum[i] += group.Doubles[r]![i];
            }
        }

        group.Barrier.SignalAndWait();
        sum.CopyTo(values);
    }

    public override void Broadcast(Span<float> values, int root)
    {
        group.Floats[Rank] = values.ToArray();
        group.Barrier.SignalAndWait();
        group.Floats[root]!.AsSpan(0, values.Length).CopyTo(values);
        group.Barrier.SignalAndWait();
    }

    public override void Abort(string message, int code) => throw new InvalidOperationException(message);

    private sealed class Group(int size)
    {
        public int Size { get; } = size;

        public Barrier Barrier { get; } = new(size);

        public float[]?[] Floats { get; } = new float[size][];

        public double[]?[] Doubles { get; } = new double[size][];
    }
}
