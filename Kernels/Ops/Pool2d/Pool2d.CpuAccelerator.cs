using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's max and average 2-d pooling.
public sealed unsafe partial class CpuAccelerator
{
    private Pool2dCpu? pool;

    // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
    private Pool2dCpu PoolKernel => pool ??= new Pool2dCpu(workers);

    /// <inheritdoc />
    protected override void MaxPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        PoolKernel.MaxForward(g, Ptr(x), Ptr(y));

    /// <inheritdoc />
    protected override void MaxPool2dBackwardCore(
        in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx) =>
        PoolKernel.MaxBackward(g, Ptr(x), Ptr(dy), Ptr(dx));

    /// <inheritdoc />
    protected override void AvgPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        PoolKernel.AvgForward(g, Ptr(x), Ptr(y));

    /// <inheritdoc />
    protected override void AvgPool2dBackwardCore(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        PoolKernel.AvgBackward(g, Ptr(dy), Ptr(dx));
}
