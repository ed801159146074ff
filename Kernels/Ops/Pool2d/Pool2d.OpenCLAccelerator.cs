using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's max and average 2-d pooling.
public sealed unsafe partial class OpenCLAccelerator
{
    /// <inheritdoc />
    protected override void MaxPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        Elementwise(Pool(Call("max_pool_forward"), g, g.OutputLength).Mem(x).Mem(y), g.OutputLength);

    /// <inheritdoc />
    protected override void MaxPool2dBackwardCore(
        in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx) =>
        Elementwise(Pool(Call("max_pool_backward"), g, g.InputLength).Mem(x).Mem(dy).Mem(dx), g.InputLength);

    /// <inheritdoc />
    protected override void AvgPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        Elementwise(Pool(Call("avg_pool_forward"), g, g.OutputLength).Mem(x).Mem(y), g.OutputLength);

    /// <inheritdoc />
    protected override void AvgPool2dBackwardCore(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        Elementwise(Pool(Call("avg_pool_backward"), g, g.InputLength).Mem(dy).Mem(dx), g.InputLength);

    private static KernelCall Pool(KernelCall call, in Pool2dGeometry g, int count) =>
        call.Ints(g.H, g.W, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW, g.P, g.Q,
            g.CountIncludePad ? 1 : 0, count);
}
