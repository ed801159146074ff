using GpuCnn.Kernels.Ops;

namespace GpuCnn.Tests.Reference;

// The optimizer updates added after SGD, Adam and Adadelta, written from torch.optim's single-tensor loops (1.13).
internal static partial class ReferenceOps
{
    /// <summary>torch.optim.AdamW: p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
    /// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). The gradient never sees the decay.</summary>
    public static void AdamWStep(in AdamWSettings s, double[] param, double[] grad, double[] m, double[] v)
    {
        double beta1 = s.Beta1, beta2 = s.Beta2, lr = s.LearningRate;
        var biasCorrection1 = 1 - Math.Pow(beta1, s.Step);
        var biasCorrection2 = 1 - Math.Pow(beta2, s.Step);
        for (var i = 0; i < param.Length; i++)
        {
            param[i] *= 1 - lr * s.WeightDecay;
            m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
            v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
            var denominator = Math.Sqrt(v[i]) / Math.Sqrt(biasCorrection2) + s.Epsilon;
            param[i] -= lr / biasCorrection1 * m[i] / denominator;
        }
    }

    /// <summary>torch.optim.RMSprop: g += wd*p; sq = a sq + (1-a) g^2; centered: ga = a ga + (1-a) g and
    /// avg = sqrt(sq - ga^2) + eps, else avg = sqrt(sq) + eps; with momentum buf = mu buf + g/avg and p -= lr buf,
    /// else p -= lr g/avg. <paramref name="gradAvg"/> and <paramref name="momentumBuffer"/> are read only when used.
    /// </summary>
    public static void RmsPropStep(in RmsPropSettings s, double[] param, double[] grad, double[] squareAvg,
        double[] gradAvg, double[] momentumBuffer)
    {
        double alpha = s.Alpha, lr = s.LearningRate, momentum = s.Momentum;
        for (var i = 0; i < param.Length; i++)
        {
            var g = grad[i] + s.WeightDecay * param[i];
            squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * g * g;
            var variance = squareAvg[i];
            if (s.Centered)
            {
                gradAvg[i] = alpha * gradAvg[i] + (1 - alpha) * g;
                variance -= gradAvg[i] * gradAvg[i];
            }

            var avg = Math.Sqrt(variance) + s.Epsilon;
            if (momentum != 0)
            {
                momentumBuffer[i] = momentum * momentumBuffer[i] + g / avg;
                param[i] -= lr * momentumBuffer[i];
            }
            else
            {
                param[i] -= lr * g / avg;
            }
        }
    }
}
