namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's leaky ReLU.
public sealed unsafe partial class OpenCLAccelerator
{
    /// <inheritdoc />
    protected override void LeakyReluForwardCore(DeviceBuffer x, DeviceBuffer y, int count, float negativeSlope) =>
        Elementwise(Call("leaky_relu_forward").Mem(x).Mem(y).Int(count).Float(negativeSlope), count);

    /// <inheritdoc />
    protected override void LeakyReluBackwardCore(
        DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, int count, float negativeSlope) =>
        Elementwise(Call("leaky_relu_backward").Mem(x).Mem(dy).Mem(dx).Int(count).Float(negativeSlope), count);
}
