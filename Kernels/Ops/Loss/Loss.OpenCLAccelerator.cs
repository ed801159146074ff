namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's fused softmax cross-entropy loss.
public sealed unsafe partial class OpenCLAccelerator
{
    /// <inheritdoc />
    protected override void SoftmaxCrossEntropyCore(DeviceBuffer logits, DeviceBuffer labels, int rows, int classes,
        float gradScale, DeviceBuffer dlogits, DeviceBuffer stats)
    {
        var wg = program.ReduceWorkGroup;
        Call("softmax_cross_entropy").Mem(logits).Mem(labels).Int(rows).Int(classes).Float(gradScale).Mem(dlogits)
            .Mem(stats).Launch(queue, [wg], [wg]);
    }
}
