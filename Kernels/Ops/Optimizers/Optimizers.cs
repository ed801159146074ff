using System.Runtime.Intrinsics;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // The checked entry points of the optimizer updates and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>One SGD update of <paramref name="count"/> parameters; velocity is used when momentum &gt; 0.
        /// </summary>
        public void SgdUpdate(
            in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count)
        {
            CheckRange(param, 0, count, nameof(param));
            CheckRange(grad, 0, count, nameof(grad));
            if (s.Momentum != 0f)
            {
                ArgumentNullException.ThrowIfNull(velocity);
                CheckRange(velocity, 0, count, nameof(velocity));
            }

            SgdUpdateCore(s, param, grad, velocity, count);
        }

        /// <summary>One Adam update with first and second moment buffers m and v.</summary>
        public void AdamUpdate(in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m,
            DeviceBuffer v, int count)
        {
            if (s.Step < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(s), s.Step, "Adam's step counts from 1.");
            }

            CheckRange(param, 0, count, nameof(param));
            CheckRange(grad, 0, count, nameof(grad));
            CheckRange(m, 0, count, nameof(m));
            CheckRange(v, 0, count, nameof(v));
            AdamUpdateCore(s, param, grad, m, v, count);
        }

        /// <summary>One Adadelta update with the running averages of squared gradients and squared updates.</summary>
        public void AdadeltaUpdate(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg,
            DeviceBuffer accDelta, int count)
        {
            CheckRange(param, 0, count, nameof(param));
            CheckRange(grad, 0, count, nameof(grad));
            CheckRange(squareAvg, 0, count, nameof(squareAvg));
            CheckRange(accDelta, 0, count, nameof(accDelta));
            AdadeltaUpdateCore(s, param, grad, squareAvg, accDelta, count);
        }

        /// <summary>One AdamW update (decoupled weight decay) with first and second moment buffers m and v.</summary>
        public void AdamWUpdate(in AdamWSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m,
            DeviceBuffer v, int count)
        {
            if (s.Step < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(s), s.Step, "AdamW's step counts from 1.");
            }

            CheckRange(param, 0, count, nameof(param));
            CheckRange(grad, 0, count, nameof(grad));
            CheckRange(m, 0, count, nameof(m));
            CheckRange(v, 0, count, nameof(v));
            AdamWUpdateCore(s, param, grad, m, v, count);
        }

        /// <summary>One RMSprop update with the running average of squared gradients; <paramref name="gradAvg"/>
        /// (the running average of gradients) is used when centered, <paramref name="momentumBuffer"/> when
        /// momentum &gt; 0.</summary>
        public void RmsPropUpdate(in RmsPropSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg,
            DeviceBuffer? gradAvg, DeviceBuffer? momentumBuffer, int count)
        {
            CheckRange(param, 0, count, nameof(param));
            CheckRange(grad, 0, count, nameof(grad));
            CheckRange(squareAvg, 0, count, nameof(squareAvg));
            if (s.Centered)
            {
                ArgumentNullException.ThrowIfNull(gradAvg);
                CheckRange(gradAvg, 0, count, nameof(gradAvg));
            }

            if (s.Momentum != 0f)
            {
                ArgumentNullException.ThrowIfNull(momentumBuffer);
                CheckRange(momentumBuffer, 0, count, nameof(momentumBuffer));
            }

            RmsPropUpdateCore(s, param, grad, squareAvg, s.Centered ? gradAvg : null,
                s.Momentum != 0f ? momentumBuffer : null, count);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void SgdUpdateCore(
            in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count);
        protected abstract void AdamUpdateCore(
            in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count);
        protected abstract void AdadeltaUpdateCore(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad,
            DeviceBuffer squareAvg, DeviceBuffer accDelta, int count);
        protected abstract void AdamWUpdateCore(
            in AdamWSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count);
        protected abstract void RmsPropUpdateCore(in RmsPropSettings s, DeviceBuffer param, DeviceBuffer grad,
            DeviceBuffer squareAvg, DeviceBuffer? gradAvg, DeviceBuffer? momentumBuffer, int count);
#pragma warning restore CS1591
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's optimizer updates.
    public sealed unsafe partial class CpuAccelerator
    {
        private ChunkJob<SgdOperands>? sgdJob;
        private ChunkJob<AdamOperands>? adamJob;
        private ChunkJob<AdadeltaOperands>? adadeltaJob;
        private ChunkJob<AdamWOperands>? adamWJob;
        private ChunkJob<RmsPropOperands>? rmsPropJob;

        // Made on first use, as every CPU kernel object is, so the op needs no line in the constructor.
        private ChunkJob<SgdOperands> SgdJob => sgdJob ??= new(workers);

        private ChunkJob<AdamOperands> AdamJob => adamJob ??= new(workers);

        private ChunkJob<AdadeltaOperands> AdadeltaJob => adadeltaJob ??= new(workers);

        private ChunkJob<AdamWOperands> AdamWJob => adamWJob ??= new(workers);

        private ChunkJob<RmsPropOperands> RmsPropJob => rmsPropJob ??= new(workers);

        /// <inheritdoc />
        protected override void SgdUpdateCore(
            in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count) =>
            OptimizersCpu.Sgd(SgdJob, s, Ptr(param), Ptr(grad), PtrOrNull(velocity), count);

        /// <inheritdoc />
        protected override void AdamUpdateCore(
            in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count) =>
            OptimizersCpu.Adam(AdamJob, s, Ptr(param), Ptr(grad), Ptr(m), Ptr(v), count);

        /// <inheritdoc />
        protected override void AdadeltaUpdateCore(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad,
            DeviceBuffer squareAvg, DeviceBuffer accDelta, int count) =>
            OptimizersCpu.Adadelta(AdadeltaJob, s, Ptr(param), Ptr(grad), Ptr(squareAvg), Ptr(accDelta), count);

        /// <inheritdoc />
        protected override void AdamWUpdateCore(
            in AdamWSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count) =>
            OptimizersCpu.AdamW(AdamWJob, s, Ptr(param), Ptr(grad), Ptr(m), Ptr(v), count);

        /// <inheritdoc />
        protected override void RmsPropUpdateCore(in RmsPropSettings s, DeviceBuffer param, DeviceBuffer grad,
            DeviceBuffer squareAvg, DeviceBuffer? gradAvg, DeviceBuffer? momentumBuffer, int count) =>
            OptimizersCpu.RmsProp(RmsPropJob, s, Ptr(param), Ptr(grad), Ptr(squareAvg), PtrOrNull(gradAvg),
                PtrOrNull(momentumBuffer), count);
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>Hyper-parameters of one SGD update, PyTorch's rule: with momentum, buf = momentum*buf +
    /// (1-dampening)*g (buf = g on the first step); Nesterov uses g + momentum*buf.</summary>
    public readonly record struct SgdSettings(
        float LearningRate, float Momentum, float Dampening, float WeightDecay, bool Nesterov, bool FirstStep);

    /// <summary>Hyper-parameters of one Adam update (PyTorch's rule, bias-corrected, L2 weight decay).
    /// <paramref name="Step"/> counts from 1.</summary>
    public readonly record struct AdamSettings(
        float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, int Step);

    /// <summary>Hyper-parameters of one Adadelta update (PyTorch's rule).</summary>
    public readonly record struct AdadeltaSettings(float LearningRate, float Rho, float Epsilon, float WeightDecay);

    /// <summary>Hyper-parameters of one AdamW update (PyTorch's rule): the parameter first decays by
    /// p *= 1 - lr*weightDecay (decoupled from the gradient), then takes Adam's bias-corrected step.
    /// <paramref name="Step"/> counts from 1.</summary>
    public readonly record struct AdamWSettings(
        float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, int Step);

    /// <summary>Hyper-parameters of one RMSprop update (PyTorch's rule): g += weightDecay*p;
    /// sq = alpha*sq + (1-alpha)*g^2; centered, also ga = alpha*ga + (1-alpha)*g and the square root is taken of
    /// sq - ga^2; epsilon is added outside the square root; with momentum, buf = momentum*buf + g/avg and
    /// p -= lr*buf, else p -= lr*g/avg.</summary>
    public readonly record struct RmsPropSettings(
        float LearningRate, float Alpha, float Epsilon, float WeightDecay, float Momentum, bool Centered);

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

    /// <summary>The operands of one AdamW update: the parameters, their gradient and the moments m and v.</summary>
    internal unsafe struct AdamWOperands
    {
        public float* Param;
        public float* Grad;
        public float* M;
        public float* V;
        public AdamWSettings Settings;
    }

    /// <summary>The operands of one RMSprop update: the parameters, their gradient, the running average of squared
    /// gradients and, when used, the running average of gradients (centered) and the momentum buffer.</summary>
    internal unsafe struct RmsPropOperands
    {
        public float* Param;
        public float* Grad;
        public float* SquareAvg;
        public float* GradAvg;
        public float* MomentumBuffer;
        public RmsPropSettings Settings;
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

        public static void AdamW(ChunkJob<AdamWOperands> job, in AdamWSettings s, float* param, float* grad, float* m,
            float* v, int count)
        {
            job.Operands = new AdamWOperands { Param = param, Grad = grad, M = m, V = v, Settings = s };
            job.Launch(&AdamWChunk, count);
        }

        public static void RmsProp(ChunkJob<RmsPropOperands> job, in RmsPropSettings s, float* param, float* grad,
            float* squareAvg, float* gradAvg, float* momentumBuffer, int count)
        {
            job.Operands = new RmsPropOperands
            {
                Param = param, Grad = grad, SquareAvg = squareAvg, GradAvg = gradAvg, MomentumBuffer = momentumBuffer,
                Settings = s,
            };
            job.Launch(&RmsPropChunk, count);
        }

        private static void SgdChunk(ChunkJob<SgdOperands> j, int start, int end)
        {
            var o = j.Operands;
            float lr = o.Settings.LearningRate, momentum = o.Settings.Momentum, dampening = o.Settings.Dampening,
                decay = o.Settings.WeightDecay;
            var i = start;
            if (momentum == 0f)
            {
                // Plain SGD, eight lanes at a time; the lanes run the scalar loop's operations in its order, so the
                // result does not depend on the width.
                Vector256<float> lrs = Vector256.Create(lr), decays = Vector256.Create(decay);
                for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
                {
                    var p = Vector256.Load(o.Param + i);
                    var d = Vector256.Load(o.Grad + i) + decays * p;
                    Vector256.Store(p - lrs * d, o.Param + i);
                }
            }
            else if (!o.Settings.FirstStep)
            {
                Vector256<float> lrs = Vector256.Create(lr), decays = Vector256.Create(decay),
                    momenta = Vector256.Create(momentum), undamped = Vector256.Create(1f - dampening);
                for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
                {
                    var p = Vector256.Load(o.Param + i);
                    var d = Vector256.Load(o.Grad + i) + decays * p;
                    var buf = momenta * Vector256.Load(o.Velocity + i) + undamped * d;
                    Vector256.Store(buf, o.Velocity + i);
                    d = o.Settings.Nesterov ? d + momenta * buf : buf;
                    Vector256.Store(p - lrs * d, o.Param + i);
                }
            }

            for (; i < end; i++)
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
            var i = start;
            {
                // Eight lanes at a time, each running the scalar loop's operations in the same order (no fused
                // multiply-add), so the update is bitwise the scalar one.
                Vector256<float> b1 = Vector256.Create(beta1), b2 = Vector256.Create(beta2),
                    rest1 = Vector256.Create(1f - beta1), rest2 = Vector256.Create(1f - beta2),
                    epsilon = Vector256.Create(eps), decays = Vector256.Create(decay),
                    c2 = Vector256.Create(correction2Sqrt), size = Vector256.Create(stepSize);
                for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
                {
                    var p = Vector256.Load(o.Param + i);
                    var g = Vector256.Load(o.Grad + i) + decays * p;
                    var m = b1 * Vector256.Load(o.M + i) + rest1 * g;
                    var v = b2 * Vector256.Load(o.V + i) + rest2 * g * g;
                    Vector256.Store(m, o.M + i);
                    Vector256.Store(v, o.V + i);
                    Vector256.Store(p - size * m / (Vector256.Sqrt(v) / c2 + epsilon), o.Param + i);
                }
            }

            for (; i < end; i++)
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

        private static void AdamWChunk(ChunkJob<AdamWOperands> j, int start, int end)
        {
            var o = j.Operands;
            float lr = o.Settings.LearningRate, beta1 = o.Settings.Beta1, beta2 = o.Settings.Beta2,
                eps = o.Settings.Epsilon;
            var step = o.Settings.Step;
            var correction1 = 1.0 - Math.Pow(beta1, step);
            var correction2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(beta2, step));
            var stepSize = (float)(lr / correction1);
            var keep = (float)(1.0 - (double)lr * o.Settings.WeightDecay);
            var i = start;
            {
                // As in AdamChunk: the scalar loop's operations lane by lane, in its order.
                Vector256<float> b1 = Vector256.Create(beta1), b2 = Vector256.Create(beta2),
                    rest1 = Vector256.Create(1f - beta1), rest2 = Vector256.Create(1f - beta2),
                    epsilon = Vector256.Create(eps), keeps = Vector256.Create(keep),
                    c2 = Vector256.Create(correction2Sqrt), size = Vector256.Create(stepSize);
                for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
                {
                    var p = Vector256.Load(o.Param + i) * keeps;
                    var g = Vector256.Load(o.Grad + i);
                    var m = b1 * Vector256.Load(o.M + i) + rest1 * g;
                    var v = b2 * Vector256.Load(o.V + i) + rest2 * g * g;
                    Vector256.Store(m, o.M + i);
                    Vector256.Store(v, o.V + i);
                    Vector256.Store(p - size * m / (Vector256.Sqrt(v) / c2 + epsilon), o.Param + i);
                }
            }

            for (; i < end; i++)
            {
                // Decoupled decay: the parameter shrinks before the step, and the gradient never sees the decay.
                var p = o.Param[i] * keep;
                var g = o.Grad[i];
                var m = beta1 * o.M[i] + (1f - beta1) * g;
                var v = beta2 * o.V[i] + (1f - beta2) * g * g;
                o.M[i] = m;
                o.V[i] = v;
                o.Param[i] = p - stepSize * m / (MathF.Sqrt(v) / correction2Sqrt + eps);
            }
        }

        private static void RmsPropChunk(ChunkJob<RmsPropOperands> j, int start, int end)
        {
            var o = j.Operands;
            float lr = o.Settings.LearningRate, alpha = o.Settings.Alpha, eps = o.Settings.Epsilon,
                decay = o.Settings.WeightDecay, momentum = o.Settings.Momentum;
            var centered = o.Settings.Centered;
            for (var i = start; i < end; i++)
            {
                var g = o.Grad[i] + decay * o.Param[i];
                var square = alpha * o.SquareAvg[i] + (1f - alpha) * g * g;
                o.SquareAvg[i] = square;
                if (centered)
                {
                    var mean = alpha * o.GradAvg[i] + (1f - alpha) * g;
                    o.GradAvg[i] = mean;

                    // NOTE: the variance estimate is never negative in exact arithmetic; rounding can make it so after
                    // many equal gradients, where PyTorch's sqrt gives NaN. It is clamped at zero instead.
                    square = MathF.Max(square - mean * mean, 0f);
                }

                var avg = MathF.Sqrt(square) + eps;
                if (momentum != 0f)
                {
                    var buf = momentum * o.MomentumBuffer[i] + g / avg;
                    o.MomentumBuffer[i] = buf;
                    o.Param[i] -= lr * buf;
                }
                else
                {
                    o.Param[i] -= lr * g / avg;
                }
            }
        }
    }
}
