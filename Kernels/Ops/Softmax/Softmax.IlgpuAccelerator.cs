using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's row-wise softmax: one group per row.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void SoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns) =>
        LaunchGrouped(SoftmaxIlgpuKernels.Forward, PerRow(rows, columns), View(x), View(y), columns);

    /// <inheritdoc />
    protected override void SoftmaxBackwardCore(
        DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns) =>
        LaunchGrouped(SoftmaxIlgpuKernels.Backward, PerRow(rows, columns), View(y), View(dy), View(dx), columns);

    // One group per row, as wide as the row up to MaxGroupSize (a warp at least): short rows of a few classes do
    // not leave most of a 256-thread group idle.
    private KernelConfig PerRow(int rows, int columns)
    {
        var size = WarpSize;
        while (size < columns && size < MaxGroupSize)
        {
            size *= 2;
        }

        return rows > 0 && columns > 0 ? new KernelConfig(rows, size) : new KernelConfig(0, 0);
    }
}

/// <summary>Row-wise softmax, x, y:(rows, columns): one group per row, its threads striding along the row
/// (coalesced) and reducing the maximum and the sums across the group.</summary>
internal static class SoftmaxIlgpuKernels
{
    public static void Forward(ArrayView<float> x, ArrayView<float> y, int columns)
    {
        var offset = Grid.IdxX * columns;
        var max = float.NegativeInfinity;
        for (var c = Group.IdxX; c < columns; c += Group.DimX)
        {
            max = XMath.Max(max, x[offset + c]);
        }

        // Shifted by the row maximum so that large logits cannot overflow exp().
        max = GroupExtensions.AllReduce<float, MaxFloat>(max);
        var sum = 0f;
        for (var c = Group.IdxX; c < columns; c += Group.DimX)
        {
            var e = XMath.Exp(x[offset + c] - max);
            y[offset + c] = e;
            sum += e;
        }

        sum = GroupExtensions.AllReduce<float, AddFloat>(sum);
        for (var c = Group.IdxX; c < columns; c += Group.DimX)
        {
            y[offset + c] /= sum;
        }
    }

    // dx += y * (dy - sum(dy * y)) per row.
    public static void Backward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int columns)
    {
        var offset = Grid.IdxX * columns;
        var dot = 0f;
        for (var c = Group.IdxX; c < columns; c += Group.DimX)
        {
            dot += dy[offset + c] * y[offset + c];
        }

        dot = GroupExtensions.AllReduce<float, AddFloat>(dot);
        for (var c = Group.IdxX; c < columns; c += Group.DimX)
        {
            dx[offset + c] += y[offset + c] * (dy[offset + c] - dot);
        }
    }
}
