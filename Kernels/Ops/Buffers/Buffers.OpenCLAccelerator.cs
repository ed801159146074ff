namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's buffer-level kernels (fill, copy, add, sum of squares, scale).
public sealed unsafe partial class OpenCLAccelerator
{
    // Work-groups of the sum of squares, each leaving one partial that the host adds in double.
    private const int SumOfSquaresGroups = 64;

    private readonly float[] partialsHost = new float[SumOfSquaresGroups];

    /// <inheritdoc />
    protected override void FillCore(DeviceBuffer buffer, float value, int count) =>
        Elementwise(Call("buffer_fill").Mem(buffer).Float(value).Int(count), count);

    /// <inheritdoc />
    protected override void CopyCore(DeviceBuffer source, DeviceBuffer destination, int count) =>
        Elementwise(Call("buffer_copy").Mem(source).Mem(destination).Int(count), count);

    /// <inheritdoc />
    protected override void AddIntoCore(DeviceBuffer source, DeviceBuffer destination, int count) =>
        Elementwise(Call("buffer_add").Mem(source).Mem(destination).Int(count), count);

    /// <inheritdoc />
    protected override double SumOfSquaresCore(DeviceBuffer buffer, int count)
    {
        if (count == 0)
        {
            return 0;
        }

        var wg = program.ReduceWorkGroup;
        var groups = (int)Math.Min(SumOfSquaresGroups, Groups(count, wg));
        var partials = Scratch(SumOfSquaresGroups);
        Call("buffer_sum_of_squares").Mem(buffer).Mem(partials).Int(count).Launch(queue, [groups * wg], [wg]);
        fixed (float* h = partialsHost)
        {
            Cl.Check(Cl.clEnqueueReadBuffer(queue, partials, 1, 0, (nuint)groups * sizeof(float), h, 0, null, null),
                "clEnqueueReadBuffer");
        }

        double sum = 0;
        for (var i = 0; i < groups; i++)
        {
            sum += partialsHost[i];
        }

        return sum;
    }

    /// <inheritdoc />
    protected override void ScaleCore(DeviceBuffer buffer, float scale, int count) =>
        Elementwise(Call("buffer_scale").Mem(buffer).Float(scale).Int(count), count);
}
