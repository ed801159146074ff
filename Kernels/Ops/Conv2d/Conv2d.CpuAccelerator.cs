using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's 2-d convolution.
public sealed unsafe partial class CpuAccelerator
{
    private Conv2dCpu? conv;

    // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
    private Conv2dCpu ConvKernel => conv ??= new Conv2dCpu(workers, new CpuScratch(workers.Count));

    /// <inheritdoc />
    protected override void Conv2dForwardCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y) =>
        ConvKernel.Forward(g, Ptr(x), Ptr(w), PtrOrNull(b), Ptr(y));

    /// <inheritdoc />
    protected override void Conv2dBackwardDataCore(
        in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx) =>
        ConvKernel.BackwardData(g, Ptr(dy), Ptr(w), Ptr(dx));

    /// <inheritdoc />
    protected override void Conv2dBackwardFilterCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db) =>
        ConvKernel.BackwardFilter(g, Ptr(x), Ptr(dy), Ptr(dw), PtrOrNull(db));
}
