namespace GpuCnn.Kernels.Cpu;

/// <summary>
/// Splits an element range into chunks and runs a static body on each: the shared shape of every element-wise
/// kernel. <see cref="Operands"/> carries the kernel's buffers and scalars under their own names (each op declares
/// its operand struct), so that a call allocates nothing.
/// </summary>
internal sealed unsafe class ChunkJob<TOperands> : IParallelJob
    where TOperands : unmanaged
{
    // Below this many elements a second core costs more to wake than it saves.
    private const int MinChunk = 1 << 15;
    private readonly CpuWorkers workers;
    private delegate*<ChunkJob<TOperands>, int, int, void> body;
    private int count;
    private int chunk;

    public ChunkJob(CpuWorkers workers) => this.workers = workers;

    /// <summary>The kernel's operands, set before each launch and read by every chunk.</summary>
    public TOperands Operands;

    public void Launch(delegate*<ChunkJob<TOperands>, int, int, void> kernel, int length)
    {
        body = kernel;
        count = length;
        var chunks = Math.Min(workers.Count * 4, (length + MinChunk - 1) / MinChunk);
        if (chunks <= 1)
        {
            kernel(this, 0, length);
            return;
        }

        chunk = (length + chunks - 1) / chunks;
        chunk = (chunk + 15) & ~15;
        workers.Run(this, (length + chunk - 1) / chunk);
    }

    public void Run(int index, int worker)
    {
        var start = index * chunk;
        body(this, start, Math.Min(count, start + chunk));
    }
}
