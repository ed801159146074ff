using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Kernels.Ops;

/// <summary>Parameter updates on the CPU, element-wise, in PyTorch's order of operations.</summary>
internal static unsafe class OptimizersCpu
{
    // A = param, B = grad, C = velocity; S0 = lr, S1 = momentum, S2 = dampening, S3 = weight decay
    public static void Sgd(ChunkJob job, in SgdSettings s, float* param, float* grad, float* velocity, int count)
    {
        job.A = param;
        job.B = grad;
        job.C = velocity;
        job.S0 = s.LearningRate;
        job.S1 = s.Momentum;
        job.S2 = s.Dampening;
        job.S3 = s.WeightDecay;
        job.Flag = s.FirstStep;
        job.Seed = s.Nesterov ? 1UL : 0UL;
        job.Launch(&SgdChunk, count);
    }

    // A = param, B = grad, C = m, D = v; S0 = lr, S1 = beta1, S2 = beta2, S3 = eps, S4 = weight decay
    public static void Adam(ChunkJob job, in AdamSettings s, float* param, float* grad, float* m, float* v, int count)
    {
        job.A = param;
        job.B = grad;
        job.C = m;
        job.D = v;
        job.S0 = s.LearningRate;
        job.S1 = s.Beta1;
        job.S2 = s.Beta2;
        job.S3 = s.Epsilon;
        job.S4 = s.WeightDecay;
        job.Seed = (ulong)s.Step;
        job.Launch(&AdamChunk, count);
    }

    // A = param, B = grad, C = square average, D = accumulated delta; S0 = lr, S1 = rho, S2 = eps, S3 = decay
    public static void Adadelta(ChunkJob job, in AdadeltaSettings s, float* param, float* grad, float* squareAvg,
        float* accDelta, int count)
    {
        job.A = param;
        job.B = grad;
        job.C = squareAvg;
        job.D = accDelta;
        job.S0 = s.LearningRate;
        job.S1 = s.Rho;
        job.S2 = s.Epsilon;
        job.S3 = s.WeightDecay;
        job.Launch(&AdadeltaChunk, count);
    }

    private static void SgdChunk(ChunkJob j, int start, int end)
    {
        float lr = j.S0, momentum = j.S1, dampening = j.S2, decay = j.S3;
        var nesterov = j.Seed != 0;
        for (var i = start; i < end; i++)
        {
            var d = j.B[i] + decay * j.A[i];
            if (momentum != 0f)
            {
                var buf = j.Flag ? d : momentum * j.C[i] + (1f - dampening) * d;
                j.C[i] = buf;
                d = nesterov ? d + momentum * buf : buf;
            }

            j.A[i] -= lr * d;
        }
    }

    private static void AdamChunk(ChunkJob j, int start, int end)
    {
        float lr = j.S0, beta1 = j.S1, beta2 = j.S2, eps = j.S3, decay = j.S4;
        var step = (int)j.Seed;
        var correction1 = 1.0 - Math.Pow(beta1, step);
        var correction2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(beta2, step));
        var stepSize = (float)(lr / correction1);
        for (var i = start; i < end; i++)
        {
            var g = j.B[i] + decay * j.A[i];
            var m = beta1 * j.C[i] + (1f - beta1) * g;
            var v = beta2 * j.D[i] + (1f - beta2) * g * g;
            j.C[i] = m;
            j.D[i] = v;
            j.A[i] -= stepSize * m / (MathF.Sqrt(v) / correction2Sqrt + eps);
        }
    }

    private static void AdadeltaChunk(ChunkJob j, int start, int end)
    {
        float lr = j.S0, rho = j.S1, eps = j.S2, decay = j.S3;
        for (var i = start; i < end; i++)
        {
            var g = j.B[i] + decay * j.A[i];
            var square = rho * j.C[i] + (1f - rho) * g * g;
            j.C[i] = square;
            var delta = MathF.Sqrt(j.D[i] + eps) / MathF.Sqrt(square + eps) * g;
            j.D[i] = rho * j.D[i] + (1f - rho) * delta * delta;
            j.A[i] -= lr * delta;
        }
    }
}
