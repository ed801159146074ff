using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu.Direct;

/// <summary>An epilogue applied in place to a whole convolution output (N, K, P, Q), in parallel over blocks of
/// channel planes, for the kernels that cannot apply it as they write.</summary>
internal sealed unsafe class ConvEpiloguePass : IParallelJob
{
    // Below this many floats one core does it: waking the other costs more than the pass.
    private const int MinParallel = 16 * 1024;

    private readonly CpuWorkers workers;
    private float* y;
    private ConvEpilogue epilogue;
    private int planes;
    private int channels;
    private int pixels;
    private int items;

    public ConvEpiloguePass(CpuWorkers workers) => this.workers = workers;

    public void Run(in Conv2dGeometry g, float* output, in ConvEpilogue after)
    {
        y = output;
        epilogue = after;
        channels = g.K;
        pixels = g.P * g.Q;
        planes = g.N * g.K;
        items = (long)planes * pixels < MinParallel ? 1 : Math.Min(planes, workers.Count * 4);
        workers.Run(this, items);
    }

    public void Run(int index, int worker)
    {
        int first = (int)((long)index * planes / items), end = (int)((long)(index + 1) * planes / items);
        for (var plane = first; plane < end; plane++)
        {
            epilogue.ApplyRow(y + (long)plane * pixels, pixels, plane % channels);
        }
    }
}
