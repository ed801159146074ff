namespace GpuCnn.Kernels;

// The checked entry points of the fused softmax cross-entropy loss and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>
    /// Fused softmax and cross-entropy over logits:(rows, classes) with labels:(rows) holding class indices as
    /// floats. Writes dlogits = (softmax - onehot) * <paramref name="gradScale"/> and, into stats[0] and stats[1],
    /// the summed loss and the number of rows whose arg-max equals the label.
    /// </summary>
    public void SoftmaxCrossEntropy(DeviceBuffer logits, DeviceBuffer labels, int rows, int classes,
        float gradScale, DeviceBuffer dlogits, DeviceBuffer stats)
    {
        CheckRange(logits, 0, rows * classes, nameof(logits));
        CheckRange(labels, 0, rows, nameof(labels));
        CheckRange(dlogits, 0, rows * classes, nameof(dlogits));
        CheckRange(stats, 0, 2, nameof(stats));
        SoftmaxCrossEntropyCore(logits, labels, rows, classes, gradScale, dlogits, stats);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void SoftmaxCrossEntropyCore(DeviceBuffer logits, DeviceBuffer labels, int rows, int classes,
        float gradScale, DeviceBuffer dlogits, DeviceBuffer stats);
#pragma warning restore CS1591
}
