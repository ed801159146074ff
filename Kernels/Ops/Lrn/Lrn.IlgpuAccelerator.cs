using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's local response normalisation (LrnIlgpuKernels): one thread per element.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void LrnForwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale) =>
        Launch(LrnIlgpuKernels.Forward, g.Length, View(x), View(y), View(scale), new LrnSizes(g));

    /// <inheritdoc />
    protected override void LrnBackwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale,
        DeviceBuffer dy, DeviceBuffer dx) =>
        Launch(LrnIlgpuKernels.Backward, g.Length, View(x), View(y), View(scale), View(dy), View(dx),
            new LrnSizes(g));
}
