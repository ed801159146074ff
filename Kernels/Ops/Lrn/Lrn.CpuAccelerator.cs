using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's local response normalisation.
public sealed unsafe partial class CpuAccelerator
{
    private LrnCpu? lrn;

    // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
    private LrnCpu LrnKernel => lrn ??= new LrnCpu(workers, new CpuScratch(workers.Count));

    /// <inheritdoc />
    protected override void LrnForwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale) =>
        LrnKernel.Forward(g, Ptr(x), Ptr(y), Ptr(scale));

    /// <inheritdoc />
    protected override void LrnBackwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale,
        DeviceBuffer dy, DeviceBuffer dx) => LrnKernel.Backward(g, Ptr(x), Ptr(y), Ptr(scale), Ptr(dy), Ptr(dx));
}
