using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's op (being written).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void SoftmaxCrossEntropyCore(DeviceBuffer logits, DeviceBuffer labels, int rows, int classes,
        float gradScale, DeviceBuffer dlogits, DeviceBuffer stats) =>
        throw Pending("SoftmaxCrossEntropy");
}
