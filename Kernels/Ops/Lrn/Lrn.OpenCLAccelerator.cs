using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's local response normalisation.
public sealed unsafe partial class OpenCLAccelerator
{
    /// <inheritdoc />
    protected override void LrnForwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale) =>
        Elementwise(Call("lrn_forward").Mem(x).Mem(y).Mem(scale).Ints(g.C, g.Inner, g.Size).Float(g.Alpha)
            .Float(g.Beta).Float(g.K).Int(g.Length), g.Length);

    /// <inheritdoc />
    protected override void LrnBackwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale,
        DeviceBuffer dy, DeviceBuffer dx) =>
        Elementwise(Call("lrn_backward").Mem(x).Mem(y).Mem(scale).Mem(dy).Mem(dx).Ints(g.C, g.Inner, g.Size)
            .Float(g.Alpha).Float(g.Beta).Int(g.Length), g.Length);
}
