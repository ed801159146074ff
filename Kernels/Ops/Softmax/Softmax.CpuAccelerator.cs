using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's row-wise softmax.
public sealed unsafe partial class CpuAccelerator
{
    /// <inheritdoc />
    protected override void SoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns) =>
        SoftmaxCpu.Forward(Ptr(x), Ptr(y), rows, columns);

    /// <inheritdoc />
    protected override void SoftmaxBackwardCore(
        DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns) =>
        SoftmaxCpu.Backward(Ptr(y), Ptr(dy), Ptr(dx), rows, columns);
}
