using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's fused softmax cross-entropy loss.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void SoftmaxCrossEntropyCore(DeviceBuffer logits, DeviceBuffer labels, int rows, int classes,
        float gradScale, DeviceBuffer dlogits, DeviceBuffer stats)
    {
        // Pass 1: one group per row leaves the row's loss and hit in scratch; pass 2: one group sums them into
        // stats[0] (summed loss) and stats[1] (correct count), the only values the host reads.
        var perRow = Scratch(2L * rows);
        LaunchGrouped(LossIlgpuKernels.Rows, PerRow(rows, classes), View(logits), View(labels), View(dlogits), perRow,
            new LossSizes(rows, classes, gradScale));
        LaunchGrouped(LossIlgpuKernels.Total, new KernelConfig(1, MaxGroupSize), perRow, View(stats), rows);
    }
}

/// <summary>The sizes of the fused loss: logits, dlogits:(Rows, Classes), and the gradient's scale.</summary>
internal readonly record struct LossSizes(int Rows, int Classes, float GradScale);

/// <summary>Fused softmax + cross-entropy over logits:(rows, classes) and labels:(rows) given as floats.</summary>
internal static class LossIlgpuKernels
{
    // One group per row: dlogits = (softmax(z) - onehot(label)) * gradScale; perRow[r] = loss of the row,
    // perRow[rows + r] = 1 when the first maximum is the label. The host validates labels; one out of range here
    // yields a NaN loss rather than an out-of-bounds access.
    public static void Rows(ArrayView<float> logits, ArrayView<float> labels, ArrayView<float> dlogits,
        ArrayView<float> perRow, LossSizes s)
    {
        var r = Grid.IdxX;
        var offset = r * s.Classes;
        var max = float.NegativeInfinity;
        for (var c = Group.IdxX; c < s.Classes; c += Group.DimX)
        {
            max = XMath.Max(max, logits[offset + c]);
        }

        max = GroupExtensions.AllReduce<float, MaxFloat>(max);

        // The first class holding the maximum, as the CPU's strict > scan picks it.
        var first = int.MaxValue;
        var sum = 0f;
        for (var c = Group.IdxX; c < s.Classes; c += Group.DimX)
        {
            var z = logits[offset + c];
            if (z == max && c < first)
            {
                first = c;
            }

            var e = XMath.Exp(z - max);
            dlogits[offset + c] = e;
            sum += e;
        }

        first = GroupExtensions.AllReduce<int, MinInt32>(first);
        sum = GroupExtensions.AllReduce<float, AddFloat>(sum);
        var labelValue = labels[r];
        var label = (int)labelValue;
        var valid = labelValue >= 0f && label < s.Classes;
        var factor = 1f / sum * s.GradScale;
        for (var c = Group.IdxX; c < s.Classes; c += Group.DimX)
        {
            var d = dlogits[offset + c] * factor;
            dlogits[offset + c] = valid && c == label ? d - s.GradScale : d;
        }

        if (Group.IsFirstThread)
        {
            // The index is clamped before the read, not only the result chosen: a select may read both sides.
            var labelLogit = logits[offset + (valid ? label : 0)];
            perRow[r] = valid ? XMath.Log(sum) + max - labelLogit : float.NaN;
            perRow[s.Rows + r] = valid && first == label ? 1f : 0f;
        }
    }

    // One group: stats[0] = sum of the rows' losses, stats[1] = their hits.
    public static void Total(ArrayView<float> perRow, ArrayView<float> stats, int rows)
    {
        var loss = 0f;
        var correct = 0f;
        for (var r = Group.IdxX; r < rows; r += Group.DimX)
        {
            loss += perRow[r];
            correct += perRow[rows + r];
        }

        loss = GroupExtensions.Reduce<float, AddFloat>(loss);
        correct = GroupExtensions.Reduce<float, AddFloat>(correct);
        if (Group.IsFirstThread)
        {
            stats[0] = loss;
            stats[1] = correct;
        }
    }
}
