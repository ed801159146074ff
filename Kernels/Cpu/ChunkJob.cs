namespace GpuCnn.Kernels.Cpu;

/// <summary>
/// Splits an element range into chunks and runs a static body on each: the shared shape of every element-wise
/// kernel. Fields carry the kernel's operands so that a call allocates nothing.
/// </summary>
internal sealed unsafe class ChunkJob : IParallelJob
{
    // Below this many elements a second core costs more to wake than it saves.
    private const int MinChunk = 1 << 15;
    private readonly CpuWorkers workers;
    private delegate*<ChunkJob, int, int, void> body;
    private int count;
    private int chunk;

    public ChunkJob(CpuWorkers workers) => this.workers = workers;

    public float* A;
    public float* B;
    public float* C;
    public float* D;
    public float S0;
    public float S1;
    public float S2;
    public float S3;
    public float S4;
    public ulong Seed;
    public bool Flag;

    public void Launch(delegate*<ChunkJob, int, int, void> kernel, int length)
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
