using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's buffer-level kernels (fill, copy, add, sum of squares, scale).
public sealed partial class IlgpuAccelerator
{
    // Groups of the sum of squares, each leaving one partial that the host adds in double.
    private const int SumOfSquaresGroups = 64;

    private readonly float[] partialsHost = new float[SumOfSquaresGroups];

    /// <inheritdoc />
    protected override void FillCore(DeviceBuffer buffer, float value, int count) =>
        Launch(BuffersIlgpuKernels.Fill, count, View(buffer), value);

    /// <inheritdoc />
    protected override void CopyCore(DeviceBuffer source, DeviceBuffer destination, int count) =>
        Launch(BuffersIlgpuKernels.Copy, count, View(source), View(destination));

    /// <inheritdoc />
    protected override void AddIntoCore(DeviceBuffer source, DeviceBuffer destination, int count) =>
        Launch(BuffersIlgpuKernels.AddInto, count, View(source), View(destination));

    /// <inheritdoc />
    protected override double SumOfSquaresCore(DeviceBuffer buffer, int count)
    {
        if (count == 0)
        {
            return 0;
        }

        var groups = Math.Min(SumOfSquaresGroups, Groups(count, MaxGroupSize));
        var partials = Scratch(SumOfSquaresGroups);
        LaunchGrouped(BuffersIlgpuKernels.SumOfSquares, new KernelConfig(groups, MaxGroupSize), View(buffer),
            partials, count);
        lock (device.Gate)
        {
            var stream = device.Runtime.DefaultStream;
            partials.SubView(0, groups).CopyToCPU(stream, partialsHost.AsSpan(0, groups));
            stream.Synchronize();
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
        Launch(BuffersIlgpuKernels.Scale, count, View(buffer), scale);
}

/// <summary>Buffer primitives: one thread per element, except the grid-stride sum of squares.</summary>
internal static class BuffersIlgpuKernels
{
    public static void Fill(Index1D i, ArrayView<float> x, float value) => x[i] = value;

    public static void Copy(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = x[i];

    public static void AddInto(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] += x[i];

    public static void Scale(Index1D i, ArrayView<float> x, float scale) => x[i] *= scale;

    // partials[group] = sum of x[i]^2 over the elements this group's threads visit (grid-stride); the host adds
    // the few partials in double precision.
    public static void SumOfSquares(ArrayView<float> x, ArrayView<float> partials, int count)
    {
        var sum = 0f;
        for (var i = Grid.GlobalIndex.X; i < count; i += Grid.DimX * Group.DimX)
        {
            sum += x[i] * x[i];
        }

        var total = GroupExtensions.Reduce<float, AddFloat>(sum);
        if (Group.IsFirstThread)
        {
            partials[Grid.IdxX] = total;
        }
    }
}
