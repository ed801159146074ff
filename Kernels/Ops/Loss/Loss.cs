namespace GpuCnn.Kernels.Ops;

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
