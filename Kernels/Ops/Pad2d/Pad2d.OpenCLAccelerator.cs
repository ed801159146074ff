using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's 2-d padding.
public sealed unsafe partial class OpenCLAccelerator
{
    private static KernelCall Pad(KernelCall call, in Pad2dGeometry g, int count) =>
        call.Ints(g.H, g.W, g.Top, g.Left, g.Bottom, g.Right, (int)g.Mode).Float(g.Value).Int(count);

    /// <inheritdoc />
    protected override void Pad2dForwardCore(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        Elementwise(Pad(Call("pad2d_forward"), g, g.OutputLength).Mem(x).Mem(y), g.OutputLength);

    /// <inheritdoc />
    protected override void Pad2dBackwardCore(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        Elementwise(Pad(Call("pad2d_backward"), g, g.InputLength).Mem(dy).Mem(dx), g.InputLength);
}
