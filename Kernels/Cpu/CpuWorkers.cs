namespace GpuCnn.Kernels.Cpu;

/// <summary>A unit of parallel work: index is the item to do, worker the slot (0 = calling thread) whose
/// scratch memory it may use.</summary>
internal interface IParallelJob
{
    void Run(int index, int worker);
}

/// <summary>
/// A fixed team of threads that run one job at a time over an index range. It allocates nothing per call and
/// wakes its threads faster than the thread pool: idle workers spin briefly before they block, because kernels
/// of a training step arrive microseconds apart.
/// </summary>
internal sealed class CpuWorkers : IDisposable
{
    private const int SpinIterations = 4000;
    private readonly Thread[] threads;
    private readonly object gate = new();
    private IParallelJob? job;
    private int total;
    private int next;
    private int remaining;
    private int generation;
    private volatile bool stopping;

    public CpuWorkers(int count)
    {
        Count = Math.Max(1, count);
        threads = new Thread[Count - 1];
        for (var i = 0; i < threads.Length; i++)
        {
            var id = i + 1;
            threads[i] = new Thread(() => Loop(id)) { IsBackground = true, Name = $"gpucnn-cpu-{id}" };
            threads[i].Start();
        }
    }

    /// <summary>Workers including the calling thread.</summary>
    public int Count { get; }

    /// <summary>Runs <paramref name="work"/> for every index in [0, count) and returns when all are done.</summary>
    public void Run(IParallelJob work, int count)
    {
        if (count <= 0)
        {
            return;
        }

        if (count == 1 || threads.Length == 0)
        {
            for (var i = 0; i < count; i++)
            {
                work.Run(i, 0);
            }

            return;
        }

        job = work;
        total = count;
        next = 0;
        remaining = threads.Length;
        lock (gate)
        {
            generation++;
            Monitor.PulseAll(gate);
        }

        Work(0);
        var spinner = new SpinWait();
        while (Volatile.Read(ref remaining) != 0)
        {
            spinner.SpinOnce(-1);
        }

        job = null;
    }

    public void Dispose()
    {
        stopping = true;
        lock (gate)
        {
            generation++;
            Monitor.PulseAll(gate);
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }
    }

    private void Work(int worker)
    {
        var current = job!;
        int index;
        while ((index = Interlocked.Increment(ref next) - 1) < total)
        {
            current.Run(index, worker);
        }
    }

    private void Loop(int worker)
    {
        var seen = 0;
        while (true)
        {
            var spins = 0;
            while (Volatile.Read(ref generation) == seen)
            {
                if (spins++ < SpinIterations)
                {
                    Thread.SpinWait(20);
                    continue;
                }

                lock (gate)
                {
                    while (generation == seen)
                    {
                        Monitor.Wait(gate);
                    }
                }
            }

            seen = Volatile.Read(ref generation);
            if (stopping)
            {
                return;
            }

            Work(worker);
            Interlocked.Decrement(ref remaining);
        }
    }
}
