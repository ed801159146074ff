namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's row-wise softmax.
public sealed unsafe partial class OpenCLAccelerator
{
    /// <inheritdoc />
    protected override void SoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns) =>
        PerRow(Call("softmax_forward").Mem(x).Mem(y).Int(columns), rows, columns);

    /// <inheritdoc />
    protected override void SoftmaxBackwardCore(
        DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns) =>
        PerRow(Call("softmax_backward").Mem(y).Mem(dy).Mem(dx).Int(columns), rows, columns);
}
