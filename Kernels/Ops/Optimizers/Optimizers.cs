using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Kernels.Ops;

/// <summary>The operands of one SGD update: the parameters, their gradient and the momentum buffer.</summary>
internal unsafe struct SgdOperands
{
    public float* Param;
    public float* Grad;
    public float* Velocity;
    public SgdSettings Settings;
}

/// <summary>The operands of one Adam update: the parameters, their gradient and the moments m and v.</summary>
internal unsafe struct AdamOperands
{
    public float* Param;
    public float* Grad;
    public float* M;
    public float* V;
    public AdamSettings Settings;
}

/// <summary>The operands of one Adadelta update: the parameters, their gradient and the running averages.</summary>
internal unsafe struct AdadeltaOperands
{
    public float* Param;
    public float* Grad;
    public float* SquareAvg;
    public float* AccDelta;
    public AdadeltaSettings Settings;
}

/// <summary>Parameter updates on the CPU, element-wise, in PyTorch's order of operations.</summary>
internal static unsafe class OptimizersCpu
{
    public static void Sgd(ChunkJob<SgdOperands> job, in SgdSettings s, float* param, float* grad, float* velocity,
        int count)
    {
        job.Operands = new SgdOperands { Param = param, Grad = grad, Velocity = velocity, Settings = s };
        job.Launch(&SgdChunk, count);
    }

    public static void Adam(ChunkJob<AdamOperands> job, in AdamSettings s, float* param, float* grad, float* m,
        float* v, int count)
    {
        job.Operands = new AdamOperands { Param = param, Grad = grad, M = m, V = v, Settings = s };
        job.Launch(&AdamChunk, count);
    }

    public static void Adadelta(ChunkJob<AdadeltaOperands> job, in AdadeltaSettings s, float* param, float* grad,
        float* squareAvg, float* accDelta, int count)
    {
        job.Operands = new AdadeltaOperands
        {
            Param = param, Grad = grad, SquareAvg = squareAvg, AccDelta = accDelta, Settings = s,
        };
        job.Launch(&AdadeltaChunk, count);
    }

    private static void SgdChunk(ChunkJob<SgdOperands> j, int start, int end)
    {
        var o = j.Operands;
        float lr = o.Settings.LearningRate, momentum = o.Settings.Momentum, dampening = o.Settings.Dampening,
            decay = o.Settings.WeightDecay;
        for (var i = start; i < end; i++)
        {
            var d = o.Grad[i] + decay * o.Param[i];
            if (momentum != 0f)
            {
                var buf = o.Settings.FirstStep ? d : momentum * o.Velocity[i] + (1f - dampening) * d;
                o.Velocity[i] = buf;
                d = o.Settings.Nesterov ? d + momentum * buf : buf;
            }

            o.Param[i] -= lr * d;
        }
    }

    private static void AdamChunk(ChunkJob<AdamOperands> j, int start, int end)
    {
        var o = j.Operands;
        float lr = o.Settings.LearningRate, beta1 = o.Settings.Beta1, beta2 = o.Settings.Beta2,
            eps = o.Settings.Epsilon, decay = o.Settings.WeightDecay;
        var step = o.Settings.Step;
        var correction1 = 1.0 - Math.Pow(beta1, step);
        var correction2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(beta2, step));
        var stepSize = (float)(lr / correction1);
        for (var i = start; i < end; i++)
        {
            var g = o.Grad[i] + decay * o.Param[i];
            var m = beta1 * o.M[i] + (1f - beta1) * g;
            var v = beta2 * o.V[i] + (1f - beta2) * g * g;
            o.M[i] = m;
            o.V[i] = v;
            o.Param[i] -= stepSize * m / (MathF.Sqrt(v) / correction2Sqrt + eps);
        }
    }

    private static void AdadeltaChunk(ChunkJob<AdadeltaOperands> j, int start, int end)
    {
        var o = j.Operands;
        float lr = o.Settings.LearningRate, rho = o.Settings.Rho, eps = o.Settings.Epsilon,
            decay = o.Settings.WeightDecay;
        for (var i = start; i < end; i++)
        {
            var g = o.Grad[i] + decay * o.Param[i];
            var square = rho * o.SquareAvg[i] + (1f - rho) * g * g;
            o.SquareAvg[i] = square;
            var delta = MathF.Sqrt(o.AccDelta[i] + eps) / MathF.Sqrt(square + eps) * g;
            o.AccDelta[i] = rho * o.AccDelta[i] + (1f - rho) * delta * delta;
            o.Param[i] -= lr * delta;
        }
    }
}
