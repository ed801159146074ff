using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's inverted dropout.
public sealed unsafe partial class CpuAccelerator
{
    /// <inheritdoc />
    protected override void DropoutForwardCore(
        DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed) =>
        DropoutCpu.Forward(chunk, Ptr(x), Ptr(mask), Ptr(y), count, p, seed);

    /// <inheritdoc />
    protected override void DropoutBackwardCore(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        DropoutCpu.Backward(chunk, Ptr(mask), Ptr(dy), Ptr(dx), count);
}
