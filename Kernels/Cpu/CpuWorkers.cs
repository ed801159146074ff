using System.Diagnostics;

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
/// <remarks>
/// Items are claimed from a counter tagged with the job's generation, and the caller waits for the items to be
/// done, not for every worker to show up: when the machine is oversubscribed and a worker is not scheduled, the
/// caller simply does all the items itself. The tag keeps a worker that wakes late from claiming items of a
/// later job with a stale view of it.
/// </remarks>
internal sealed class CpuWorkers : IDisposable
{
    /// <summary>
    /// How long an idle worker spins before it blocks: kernels of a training step arrive microseconds apart, and
    /// waking a blocked worker (a futex wake and, in a virtual machine, an interrupt to a halted virtual CPU) made
    /// it start its item 60-70 microseconds after the caller, against under 10 when it spins. NOTE: 2 ms was no
    /// better than 0.3 ms in alternating runs (SeedNet training a little slower), so the window stays short.
    /// </summary>
    private const long SpinMicroseconds = 300;
    private readonly Thread[] threads;
    private readonly object gate = new();
    private IParallelJob? job;
    private int total;
    private int done;
    private int sleepers;

    // High 32 bits: generation of the current job; low 32 bits: next item to claim.
    private long state;
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
        Volatile.Write(ref done, 0);
        var generation = (Volatile.Read(ref state) >> 32) + 1;
        Interlocked.Exchange(ref state, generation << 32);

        // Only a worker that has given up spinning needs the lock and a futex wake (several microseconds in a
        // virtual machine); the interlocked exchange above and the one in Sleep order the two flags, so either
        // this thread sees the sleeper or the sleeper sees the new generation.
        if (Volatile.Read(ref sleepers) > 0)
        {
            lock (gate)
            {
                Monitor.PulseAll(gate);
            }
        }

        Work(0);

        // The items left are running on other workers and end within one item's time: spin rather than sleep.
        // NOTE: SpinWait.SpinOnce sleeps a whole millisecond (Thread.Sleep(1)) after a few dozen spins, which
        // doubled the time of a 1 ms GEMM whose halves finished a few microseconds apart. A yield now and then
        // lets a worker that shares this core with other processes run.
        var spins = 0;
        while (Volatile.Read(ref done) < count)
        {
            if (++spins % 256 == 0)
            {
                Thread.Yield();
            }
            else
            {
                Thread.SpinWait(1);
            }
        }
    }

    public void Dispose()
    {
        stopping = true;
        lock (gate)
        {
            Interlocked.Add(ref state, 1L << 32);
            Monitor.PulseAll(gate);
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }
    }

    private void Work(int worker)
    {
        while (true)
        {
            var current = Volatile.Read(ref state);
            var work = job;
            var index = (int)(current & 0xFFFFFFFF);
            if (work is null || index >= Volatile.Read(ref total))
            {
                return;
            }

            // Claim fails if another thread took the item or a new job began; then look again.
            if (Interlocked.CompareExchange(ref state, current + 1, current) != current)
            {
                continue;
            }

            work.Run(index, worker);
            Interlocked.Increment(ref done);
        }
    }

    private void Loop(int worker)
    {
        var seen = 0L;
        var spinTicks = SpinMicroseconds * Stopwatch.Frequency / 1_000_000;
        while (true)
        {
            var deadline = Stopwatch.GetTimestamp() + spinTicks;
            var spins = 0;
            while ((Volatile.Read(ref state) >> 32) == seen)
            {
                if (++spins % 16 != 0 || Stopwatch.GetTimestamp() < deadline)
                {
                    Thread.SpinWait(1);
                    continue;
                }

                Sleep(seen);
            }

            seen = Volatile.Read(ref state) >> 32;
            if (stopping)
            {
                return;
            }

            Work(worker);
        }
    }

    // Blocks until the generation moves past seen.
    private void Sleep(long seen)
    {
        lock (gate)
        {
            Interlocked.Increment(ref sleepers);
            while ((Volatile.Read(ref state) >> 32) == seen)
            {
                Monitor.Wait(gate);
            }

            Interlocked.Decrement(ref sleepers);
        }
    }
}
