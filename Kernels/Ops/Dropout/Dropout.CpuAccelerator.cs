using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's inverted dropout.
public sealed unsafe partial class CpuAccelerator
{
    private ChunkJob<DropoutOperands>? dropoutJob;

    private ChunkJob<DropoutOperands> DropoutJob => dropoutJob ??= new(workers);

    /// <inheritdoc />
    protected override void DropoutForwardCore(
        DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed) =>
        DropoutCpu.Forward(DropoutJob, Ptr(x), Ptr(mask), Ptr(y), count, p, seed);

    /// <inheritdoc />
    protected override void DropoutBackwardCore(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        DropoutCpu.Backward(DropoutJob, Ptr(mask), Ptr(dy), Ptr(dx), count);
}
