namespace GpuCnn.Kernels;

// The checked entry points of row-wise softmax and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>Row-wise softmax. x, y:(rows, columns).</summary>
    public void SoftmaxForward(DeviceBuffer x, DeviceBuffer y, int rows, int columns)
    {
        CheckRange(x, 0, rows * columns, nameof(x));
        CheckRange(y, 0, rows * columns, nameof(y));
        SoftmaxForwardCore(x, y, rows, columns);
    }

    /// <summary>dx += y * (dy - sum(dy * y)) per row.</summary>
    public void SoftmaxBackward(DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns)
    {
        CheckRange(y, 0, rows * columns, nameof(y));
        CheckRange(dy, 0, rows * columns, nameof(dy));
        CheckRange(dx, 0, rows * columns, nameof(dx));
        SoftmaxBackwardCore(y, dy, dx, rows, columns);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void SoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns);
    protected abstract void SoftmaxBackwardCore(
        DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns);
#pragma warning restore CS1591
}
