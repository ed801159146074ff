using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's row-wise log-softmax: one group per row, sized as softmax's.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void LogSoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns) =>
        LaunchGrouped(LogSoftmaxIlgpuKernels.Forward, PerRow(rows, columns), View(x), View(y), columns);

    /// <inheritdoc />
    protected override void LogSoftmaxBackwardCore(
        DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns) =>
        LaunchGrouped(LogSoftmaxIlgpuKernels.Backward, PerRow(rows, columns), View(y), View(dy), View(dx), columns);
}

/// <summary>Row-wise log-softmax, x, y:(rows, columns): one group per row, its threads striding along the row
/// (coalesced) and reducing the maximum and the sums across the group.</summary>
internal static class LogSoftmaxIlgpuKernels
{
    public static void Forward(ArrayView<float> x, ArrayView<float> y, int columns)
    {
        var offset = Grid.IdxX * columns;
        var max = float.NegativeInfinity;
        for (var c = Group.IdxX; c < columns; c += Group.DimX)
        {
            max = XMath.Max(max, x[offset + c]);
        }

        // Shifted by the row maximum: exp() cannot overflow, and the sum is at least 1, so its log is finite.
        max = GroupExtensions.AllReduce<float, MaxFloat>(max);
        var sum = 0f;
        for (var c = Group.IdxX; c < columns; c += Group.DimX)
        {
            sum += XMath.Exp(x[offset + c] - max);
        }

        var logSum = XMath.Log(GroupExtensions.AllReduce<float, AddFloat>(sum));
        for (var c = Group.IdxX; c < columns; c += Group.DimX)
        {
            y[offset + c] = (x[offset + c] - max) - logSum;
        }
    }

    // dx += dy - exp(y) * sum(dy) per row; exp(y) is the softmax.
    public static void Backward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int columns)
    {
        var offset = Grid.IdxX * columns;
        var sum = 0f;
        for (var c = Group.IdxX; c < columns; c += Group.DimX)
        {
            sum += dy[offset + c];
        }

        sum = GroupExtensions.AllReduce<float, AddFloat>(sum);
        for (var c = Group.IdxX; c < columns; c += Group.DimX)
        {
            dx[offset + c] += dy[offset + c] - XMath.Exp(y[offset + c]) * sum;
        }
    }
}
