using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's row-wise log-softmax.
public sealed unsafe partial class CpuAccelerator
{
    /// <inheritdoc />
    protected override void LogSoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns) =>
        LogSoftmaxCpu.Forward(Ptr(x), Ptr(y), rows, columns);

    /// <inheritdoc />
    protected override void LogSoftmaxBackwardCore(
        DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns) =>
        LogSoftmaxCpu.Backward(Ptr(y), Ptr(dy), Ptr(dx), rows, columns);
}
