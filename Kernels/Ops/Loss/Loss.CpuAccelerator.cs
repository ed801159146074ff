using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's fused softmax cross-entropy loss.
public sealed unsafe partial class CpuAccelerator
{
    /// <inheritdoc />
    protected override void SoftmaxCrossEntropyCore(DeviceBuffer logits, DeviceBuffer labels, int rows, int classes,
        float gradScale, DeviceBuffer dlogits, DeviceBuffer stats) =>
        SoftmaxCrossEntropyCpu.Run(Ptr(logits), Ptr(labels), rows, classes, gradScale, Ptr(dlogits), Ptr(stats));
}
