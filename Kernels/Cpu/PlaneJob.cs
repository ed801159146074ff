namespace GpuCnn.Kernels.Cpu;

/// <summary>
/// Runs a static plane body over the N*C planes of an NCHW tensor, a block of whole planes per work item: the shared
/// shape of the kernels that map each (n, c) plane of one tensor to the same plane of another (padding, nearest
/// upsampling). A backward body owns whole planes of its gradient, so its sums cannot race.
/// </summary>
internal sealed unsafe class PlaneJob<TGeometry>(CpuWorkers workers) : IParallelJob
    where TGeometry : struct
{
    // About this many output elements per work item: fewer and waking a worker costs more than it saves.
    private const int ElementsPerItem = 1 << 14;
    private delegate*<TGeometry, float*, float*, void> body;
    private TGeometry geometry;
    private float* source;
    private float* destination;
    private long sourcePlane;
    private long destinationPlane;
    private int planes;
    private int planesPerItem;

    /// <summary>Calls <paramref name="kernel"/>(geometry, source plane, destination plane) for each of
    /// <paramref name="planeCount"/> planes, <paramref name="sourceStride"/> and <paramref name="destinationStride"/>
    /// floats apart, in blocks sized by the <paramref name="outputPerPlane"/> elements each plane of the op's output
    /// holds (forward and backward split the same way).</summary>
    public void Launch(delegate*<TGeometry, float*, float*, void> kernel, in TGeometry g, int planeCount,
        float* from, long sourceStride, float* to, long destinationStride, int outputPerPlane)
    {
        body = kernel;
        geometry = g;
        source = from;
        destination = to;
        sourcePlane = sourceStride;
        destinationPlane = destinationStride;
        planes = planeCount;
        planesPerItem = Math.Clamp(ElementsPerItem / Math.Max(1, outputPerPlane), 1, planes);
        workers.Run(this, (planes + planesPerItem - 1) / planesPerItem);
    }

    public void Run(int index, int worker)
    {
        for (int plane = index * planesPerItem, end = Math.Min(planes, plane + planesPerItem); plane < end; plane++)
        {
            body(geometry, source + plane * sourcePlane, destination + plane * destinationPlane);
        }
    }
}
