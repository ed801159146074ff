using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's 2-d padding.
public sealed unsafe partial class CpuAccelerator
{
    private Pad2dCpu? pad;

    // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
    private Pad2dCpu PadKernel => pad ??= new Pad2dCpu(workers);

    /// <inheritdoc />
    protected override void Pad2dForwardCore(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        PadKernel.Forward(g, Ptr(x), Ptr(y));

    /// <inheritdoc />
    protected override void Pad2dBackwardCore(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        PadKernel.Backward(g, Ptr(dy), Ptr(dx));
}
