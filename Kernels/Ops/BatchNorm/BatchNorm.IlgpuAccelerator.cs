using GpuCnn.Kernels.Ops;
using ILGPU;
using ILGPU.Algorithms;

namespace GpuCnn.Kernels.Ilgpu
{
    // The ILGPU backend's batch normalisation (BatchNormIlgpuKernels): training forward and backward a group per
    // channel with a shared-memory tree, inference one thread per element.
    public sealed partial class IlgpuAccelerator
    {
        /// <inheritdoc />
        protected override void BatchNormForwardTrainingCore(in BatchNormGeometry g, DeviceBuffer x,
            DeviceBuffer? gamma, DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd,
            DeviceBuffer runningMean, DeviceBuffer runningVar, float momentum, float eps) =>
            LaunchGrouped(BatchNormIlgpuKernels.ForwardTraining, PerChannel(g), View(x), ViewOrEmpty(gamma),
                ViewOrEmpty(beta), View(y), View(saveMean), View(saveInvStd), View(runningMean), View(runningVar),
                new BatchNormSizes(g, momentum, eps, hasGamma: gamma is not null, hasBeta: beta is not null));

        /// <inheritdoc />
        protected override void BatchNormForwardInferenceCore(in BatchNormGeometry g, DeviceBuffer x,
            DeviceBuffer? gamma, DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps,
            DeviceBuffer y) =>
            Launch(BatchNormIlgpuKernels.ForwardInference, g.Length, View(x), ViewOrEmpty(gamma), ViewOrEmpty(beta),
                View(runningMean), View(runningVar), View(y),
                new BatchNormSizes(g, eps: eps, hasGamma: gamma is not null, hasBeta: beta is not null));

        /// <inheritdoc />
        protected override void BatchNormBackwardCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
            DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma,
            DeviceBuffer? dbeta) =>
            LaunchGrouped(BatchNormIlgpuKernels.Backward, PerChannel(g), View(x), View(dy), ViewOrEmpty(gamma),
                View(saveMean), View(saveInvStd), ViewOrEmpty(dx), ViewOrEmpty(dgamma), ViewOrEmpty(dbeta),
                new BatchNormSizes(g, hasGamma: gamma is not null, hasDx: dx is not null, hasDgamma: dgamma is not null,
                    hasDbeta: dbeta is not null));

        // One group per channel.
        private static KernelConfig PerChannel(in BatchNormGeometry g) => new(g.C, BatchNormIlgpuKernels.GroupSize);
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>A <see cref="BatchNormGeometry"/> as a kernel argument, with the call's scalars and which optional
    /// buffers are present (an absent buffer is never read or written).</summary>
    internal readonly struct BatchNormSizes(in BatchNormGeometry g, float momentum = 0, float eps = 0,
        bool hasGamma = false, bool hasBeta = false, bool hasDx = false, bool hasDgamma = false, bool hasDbeta = false)
    {
        public readonly int N = g.N, C = g.C, Inner = g.Inner, Length = g.Length;
        public readonly float Momentum = momentum, Eps = eps;
        public readonly int HasGamma = hasGamma ? 1 : 0, HasBeta = hasBeta ? 1 : 0, HasDx = hasDx ? 1 : 0;
        public readonly int HasDgamma = hasDgamma ? 1 : 0, HasDbeta = hasDbeta ? 1 : 0;
    }

    /// <summary>
    /// Batch normalisation on ILGPU, as BatchNorm.cl: the training forward and the backward run one group of
    /// <see cref="GroupSize"/> threads per channel; each thread keeps a compensated sum of its share of the channel,
    /// and a tree in shared memory adds the shares. x, y, dy, dx:(N, C, Inner); per-channel tensors (C).
    /// </summary>
    internal static class BatchNormIlgpuKernels
    {
        /// <summary>Threads per group of the per-channel kernels (a power of two, for the tree).</summary>
        public const int GroupSize = 256;

        // Mean, then the biased variance about it (two passes), then y = (x - mean) * scale + beta. Thread 0 saves
        // mean and 1/sqrt(var + eps) and moves the running statistics, the variance unbiased as in PyTorch (biased
        // when the channel holds a single value). Grid: one group per channel.
        public static void ForwardTraining(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
            ArrayView<float> y, ArrayView<float> saveMean, ArrayView<float> saveInvStd, ArrayView<float> runningMean,
            ArrayView<float> runningVar, BatchNormSizes s)
        {
            var part = SharedMemory.Allocate<float>(GroupSize);
            int c = Grid.IdxX, lane = Group.IdxX, count = s.N * s.Inner;

            // The mean sums deviations from the channel's first value, so that the one rounding of a value far from
            // zero comes last: a mean of 5 is then within half an ulp, as the CPU backend's is.
            var shift = x[c * s.Inner];
            float sum = 0.0f, compensation = 0.0f;
            for (var n = 0; n < s.N; n++)
            {
                var plane = (n * s.C + c) * s.Inner;
                for (var i = lane; i < s.Inner; i += GroupSize)
                {
                    KahanAdd(ref sum, ref compensation, x[plane + i] - shift);
                }
            }

            var mean = shift + ReduceSum(part, sum - compensation) / count;

            sum = 0.0f;
            compensation = 0.0f;
            for (var n = 0; n < s.N; n++)
            {
                var plane = (n * s.C + c) * s.Inner;
                for (var i = lane; i < s.Inner; i += GroupSize)
                {
                    var d = x[plane + i] - mean;
                    KahanAdd(ref sum, ref compensation, d * d);
                }
            }

            var squares = ReduceSum(part, sum - compensation);
            var variance = squares / count;
            var invStd = 1.0f / XMath.Sqrt(variance + s.Eps);
            if (lane == 0)
            {
                var unbiased = count > 1 ? squares / (count - 1) : variance;
                saveMean[c] = mean;
                saveInvStd[c] = invStd;
                runningMean[c] = (1.0f - s.Momentum) * runningMean[c] + s.Momentum * mean;
                runningVar[c] = (1.0f - s.Momentum) * runningVar[c] + s.Momentum * unbiased;
            }

            var scale = (s.HasGamma != 0 ? gamma[c] : 1.0f) * invStd;
            var offset = s.HasBeta != 0 ? beta[c] : 0.0f;
            for (var n = 0; n < s.N; n++)
            {
                var plane = (n * s.C + c) * s.Inner;
                for (var i = lane; i < s.Inner; i += GroupSize)
                {
                    y[plane + i] = (x[plane + i] - mean) * scale + offset;
                }
            }
        }

        // Evaluation mode with the running statistics; one thread per element.
        public static void ForwardInference(Index1D index, ArrayView<float> x, ArrayView<float> gamma,
            ArrayView<float> beta, ArrayView<float> runningMean, ArrayView<float> runningVar, ArrayView<float> y,
            BatchNormSizes s)
        {
            int i = index;
            if (i >= s.Length)
            {
                return;
            }

            var c = i / s.Inner % s.C;
            var scale = (s.HasGamma != 0 ? gamma[c] : 1.0f) / XMath.Sqrt(runningVar[c] + s.Eps);
            y[i] = (x[i] - runningMean[c]) * scale + (s.HasBeta != 0 ? beta[c] : 0.0f);
        }

        // The sums of dy and dy * (x - mean), then dgamma += invStd * sum(dy (x - mean)), dbeta += sum(dy) and
        // dx += gamma invStd ((dy - mean(dy)) - (x - mean) invStd^2 sum(dy (x - mean)) / M). Grid: one group per
        // channel.
        public static void Backward(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> gamma,
            ArrayView<float> saveMean, ArrayView<float> saveInvStd, ArrayView<float> dx, ArrayView<float> dgamma,
            ArrayView<float> dbeta, BatchNormSizes s)
        {
            var part = SharedMemory.Allocate<float>(GroupSize);
            int c = Grid.IdxX, lane = Group.IdxX, count = s.N * s.Inner;
            float mean = saveMean[c], invStd = saveInvStd[c];
            float sumDy = 0.0f, compensationDy = 0.0f, sumDyXmu = 0.0f, compensationDyXmu = 0.0f;
            for (var n = 0; n < s.N; n++)
            {
                var plane = (n * s.C + c) * s.Inner;
                for (var i = lane; i < s.Inner; i += GroupSize)
                {
                    var g = dy[plane + i];
                    KahanAdd(ref sumDy, ref compensationDy, g);
                    KahanAdd(ref sumDyXmu, ref compensationDyXmu, g * (x[plane + i] - mean));
                }
            }

            var totalDy = ReduceSum(part, sumDy - compensationDy);
            var totalDyXmu = ReduceSum(part, sumDyXmu - compensationDyXmu);
            if (lane == 0)
            {
                if (s.HasDgamma != 0)
                {
                    dgamma[c] += invStd * totalDyXmu;
                }

                if (s.HasDbeta != 0)
                {
                    dbeta[c] += totalDy;
                }
            }

            if (s.HasDx == 0)
            {
                return;
            }

            var k = (s.HasGamma != 0 ? gamma[c] : 1.0f) * invStd;
            var meanDy = totalDy / count;
            var projection = invStd * invStd * totalDyXmu / count;
            for (var n = 0; n < s.N; n++)
            {
                var plane = (n * s.C + c) * s.Inner;
                for (var i = lane; i < s.Inner; i += GroupSize)
                {
                    dx[plane + i] += k * ((dy[plane + i] - meanDy) - (x[plane + i] - mean) * projection);
                }
            }
        }

        // Kahan-compensated running sum of one thread: its share of a channel can be long, and the compensation keeps
        // the share's error near one rounding, so that the tree that follows is the only other source of error.
        private static void KahanAdd(ref float sum, ref float compensation, float value)
        {
            var y = value - compensation;
            var t = sum + y;
            compensation = (t - sum) - y;
            sum = t;
        }

        // The group's total of value by a tree in shared memory; every thread of the group must call it.
        private static float ReduceSum(ArrayView<float> part, float value)
        {
            var lane = Group.IdxX;
            part[lane] = value;
            Group.Barrier();
            for (var stride = GroupSize / 2; stride > 0; stride >>= 1)
            {
                if (lane < stride)
                {
                    part[lane] += part[lane + stride];
                }

                Group.Barrier();
            }

            var total = part[0];
            Group.Barrier();
            return total;
        }
    }
}
