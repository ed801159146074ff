using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's nearest-neighbour 2-d upsampling.
public sealed unsafe partial class CpuAccelerator
{
    private Upsample2dCpu? upsample;

    // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
    private Upsample2dCpu UpsampleKernel => upsample ??= new Upsample2dCpu(workers);

    /// <inheritdoc />
    protected override void Upsample2dForwardCore(in Upsample2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        UpsampleKernel.Forward(g, Ptr(x), Ptr(y));

    /// <inheritdoc />
    protected override void Upsample2dBackwardCore(in Upsample2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        UpsampleKernel.Backward(g, Ptr(dy), Ptr(dx));
}
