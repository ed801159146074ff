using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's nearest-neighbour 2-d upsampling.
public sealed unsafe partial class OpenCLAccelerator
{
    private static KernelCall Upsample(KernelCall call, in Upsample2dGeometry g, int count) =>
        call.Ints(g.H, g.W, g.ScaleH, g.ScaleW, count);

    /// <inheritdoc />
    protected override void Upsample2dForwardCore(in Upsample2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        Elementwise(Upsample(Call("upsample2d_forward"), g, g.OutputLength).Mem(x).Mem(y), g.OutputLength);

    /// <inheritdoc />
    protected override void Upsample2dBackwardCore(in Upsample2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        Elementwise(Upsample(Call("upsample2d_backward"), g, g.InputLength).Mem(dy).Mem(dx), g.InputLength);
}
