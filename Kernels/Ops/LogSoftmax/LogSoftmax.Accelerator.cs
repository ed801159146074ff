namespace GpuCnn.Kernels;

// The checked entry points of row-wise log-softmax and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>Row-wise log-softmax, y = x - max - log(sum(exp(x - max))). x, y:(rows, columns).</summary>
    public void LogSoftmaxForward(DeviceBuffer x, DeviceBuffer y, int rows, int columns)
    {
        CheckRange(x, 0, rows * columns, nameof(x));
        CheckRange(y, 0, rows * columns, nameof(y));
        LogSoftmaxForwardCore(x, y, rows, columns);
    }

    /// <summary>dx += dy - exp(y) * sum(dy) per row, from the forward output y.</summary>
    public void LogSoftmaxBackward(DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns)
    {
        CheckRange(y, 0, rows * columns, nameof(y));
        CheckRange(dy, 0, rows * columns, nameof(dy));
        CheckRange(dx, 0, rows * columns, nameof(dx));
        LogSoftmaxBackwardCore(y, dy, dx, rows, columns);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void LogSoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns);
    protected abstract void LogSoftmaxBackwardCore(
        DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns);
#pragma warning restore CS1591
}
