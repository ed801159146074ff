using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's max and average 2-d pooling (Pool2dIlgpuKernels): forward one thread per output, backward one
// per input pixel.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void MaxPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        Launch(Pool2dIlgpuKernels.MaxForward, g.OutputLength, View(x), View(y), new Pool2dSizes(g));

    /// <inheritdoc />
    protected override void MaxPool2dBackwardCore(
        in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx) =>
        Launch(Pool2dIlgpuKernels.MaxBackward, g.InputLength, View(x), View(dy), View(dx), new Pool2dSizes(g));

    /// <inheritdoc />
    protected override void AvgPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        Launch(Pool2dIlgpuKernels.AvgForward, g.OutputLength, View(x), View(y), new Pool2dSizes(g));

    /// <inheritdoc />
    protected override void AvgPool2dBackwardCore(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        Launch(Pool2dIlgpuKernels.AvgBackward, g.InputLength, View(dy), View(dx), new Pool2dSizes(g));
}
