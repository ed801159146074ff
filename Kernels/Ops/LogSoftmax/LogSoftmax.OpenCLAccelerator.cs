namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's row-wise log-softmax.
public sealed unsafe partial class OpenCLAccelerator
{
    /// <inheritdoc />
    protected override void LogSoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns) =>
        PerRow(Call("log_softmax_forward").Mem(x).Mem(y).Int(columns), rows, columns);

    /// <inheritdoc />
    protected override void LogSoftmaxBackwardCore(
        DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns) =>
        PerRow(Call("log_softmax_backward").Mem(y).Mem(dy).Mem(dx).Int(columns), rows, columns);
}
