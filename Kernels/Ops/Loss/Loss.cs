using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
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
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's fused softmax cross-entropy loss.
    public sealed unsafe partial class CpuAccelerator
    {
        /// <inheritdoc />
        protected override void SoftmaxCrossEntropyCore(DeviceBuffer logits, DeviceBuffer labels, int rows, int classes,
            float gradScale, DeviceBuffer dlogits, DeviceBuffer stats) =>
            SoftmaxCrossEntropyCpu.Run(Ptr(logits), Ptr(labels), rows, classes, gradScale, Ptr(dlogits), Ptr(stats));
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>The fused softmax + cross-entropy on the CPU; the log-sum-exp is shifted by the row maximum.</summary>
    internal static unsafe class SoftmaxCrossEntropyCpu
    {
        // logits, dlogits:(rows, classes) labels:(rows) stats:(2) = [sum of losses, correct count]
        public static void Run(float* logits, float* labels, int rows, int classes, float gradScale, float* dlogits,
            float* stats)
        {
            double lossSum = 0;
            var correct = 0;
            for (var r = 0; r < rows; r++)
            {
                var z = logits + (long)r * classes;
                var d = dlogits + (long)r * classes;
                var label = (int)labels[r];
                if ((uint)label >= (uint)classes)
                {
                    throw new ArgumentOutOfRangeException(
                        nameof(labels), label, $"Label of row {r} is outside the {classes} classes.");
                }

                var max = z[0];
                var argMax = 0;
                for (var c = 1; c < classes; c++)
                {
                    if (z[c] > max)
                    {
                        max = z[c];
                        argMax = c;
                    }
                }

                double sum = 0;
                for (var c = 0; c < classes; c++)
                {
                    var e = MathF.Exp(z[c] - max);
                    d[c] = e;
                    sum += e;
                }

                var inv = (float)(1.0 / sum);
                for (var c = 0; c < classes; c++)
                {
                    d[c] *= inv * gradScale;
                }

                d[label] -= gradScale;
                lossSum += Math.Log(sum) + max - z[label];
                if (argMax == label)
                {
                    correct++;
                }
            }

            stats[0] = (float)lossSum;
            stats[1] = correct;
        }
    }
}
