using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // The checked entry points of batch normalisation and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>
        /// Training-mode batch normalisation: per channel, the mean and biased variance over (N, Inner) normalise x,
        /// y = gamma * (x - mean) * invStd + beta (gamma 1 and beta 0 when null); saveMean and saveInvStd keep
        /// mean and 1/sqrt(var + eps) for backward; the running statistics move by <paramref name="momentum"/>
        /// towards the batch's (the running variance takes the unbiased variance, as PyTorch does).
        /// </summary>
        public void BatchNormForwardTraining(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
            DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd,
            DeviceBuffer runningMean, DeviceBuffer runningVar, float momentum, float eps)
        {
            g.Validate();
            CheckRange(x, 0, g.Length, nameof(x));
            CheckRange(y, 0, g.Length, nameof(y));
            CheckChannels(g.C, gamma, beta, saveMean, saveInvStd, runningMean, runningVar);
            if (!(momentum >= 0 && momentum <= 1) || !(eps > 0))
            {
                throw new ArgumentException(
                    $"BatchNorm needs momentum in [0, 1] and eps > 0, got {momentum} and {eps}.");
            }

            BatchNormForwardTrainingCore(g, x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, momentum,
                eps);
        }

        /// <summary>Evaluation-mode batch normalisation with the running statistics:
        /// y = gamma * (x - runningMean) / sqrt(runningVar + eps) + beta.</summary>
        public void BatchNormForwardInference(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
            DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps, DeviceBuffer y)
        {
            g.Validate();
            CheckRange(x, 0, g.Length, nameof(x));
            CheckRange(y, 0, g.Length, nameof(y));
            CheckChannels(g.C, gamma, beta, runningMean, runningVar);
            if (!(eps > 0))
            {
                throw new ArgumentException($"BatchNorm needs eps > 0, got {eps}.");
            }

            BatchNormForwardInferenceCore(g, x, gamma, beta, runningMean, runningVar, eps, y);
        }

        /// <summary>
        /// Backward of training-mode batch normalisation from the saved statistics: dgamma += sum(dy * xhat),
        /// dbeta += sum(dy), dx += gamma * invStd / M * (M * dy - sum(dy) - xhat * sum(dy * xhat)) with M = N*Inner.
        /// Each gradient output may be null when not needed. With <paramref name="overwrite"/> dx is written instead
        /// of added to, and what it held is never read (dgamma and dbeta still accumulate).
        /// </summary>
        public void BatchNormBackward(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer? gamma,
            DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma, DeviceBuffer? dbeta,
            bool overwrite = false)
        {
            g.Validate();
            CheckRange(x, 0, g.Length, nameof(x));
            CheckRange(dy, 0, g.Length, nameof(dy));
            if (dx is not null)
            {
                CheckRange(dx, 0, g.Length, nameof(dx));
            }

            CheckChannels(g.C, gamma, saveMean, saveInvStd, dgamma, dbeta);
            if (overwrite && dx is not null)
            {
                BatchNormBackwardOverwriteCore(g, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
            }
            else
            {
                BatchNormBackwardCore(g, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
            }
        }

        /// <summary>The backward with dx written rather than added to. By default a fill with zeros and the adding
        /// kernel; a backend whose kernel can store dx directly saves a pass over it.</summary>
        protected virtual void BatchNormBackwardOverwriteCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
            DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer dx, DeviceBuffer? dgamma,
            DeviceBuffer? dbeta)
        {
            FillCore(dx, 0f, g.Length);
            BatchNormBackwardCore(g, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void BatchNormForwardTrainingCore(in BatchNormGeometry g, DeviceBuffer x,
            DeviceBuffer? gamma, DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd,
            DeviceBuffer runningMean, DeviceBuffer runningVar, float momentum, float eps);
        protected abstract void BatchNormForwardInferenceCore(in BatchNormGeometry g, DeviceBuffer x,
            DeviceBuffer? gamma, DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps,
            DeviceBuffer y);
        protected abstract void BatchNormBackwardCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
            DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma,
            DeviceBuffer? dbeta);
#pragma warning restore CS1591

        // A span, not an array: the check runs in every training step, which must allocate nothing.
        private void CheckChannels(int channels, params ReadOnlySpan<DeviceBuffer?> buffers)
        {
            foreach (var buffer in buffers)
            {
                if (buffer is not null)
                {
                    CheckRange(buffer, 0, channels, "per-channel tensor");
                }
            }
        }
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's batch normalisation.
    public sealed unsafe partial class CpuAccelerator
    {
        private BatchNormCpu? batchNorm;

        // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
        private BatchNormCpu BatchNormKernel => batchNorm ??= new BatchNormCpu(workers);

        /// <inheritdoc />
        protected override void BatchNormForwardTrainingCore(in BatchNormGeometry g, DeviceBuffer x,
            DeviceBuffer? gamma, DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd,
            DeviceBuffer runningMean, DeviceBuffer runningVar, float momentum, float eps) =>
            BatchNormKernel.ForwardTraining(g, Ptr(x), PtrOrNull(gamma), PtrOrNull(beta), Ptr(y), Ptr(saveMean),
                Ptr(saveInvStd), Ptr(runningMean), Ptr(runningVar), momentum, eps);

        /// <inheritdoc />
        protected override void BatchNormForwardInferenceCore(in BatchNormGeometry g, DeviceBuffer x,
            DeviceBuffer? gamma, DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps,
            DeviceBuffer y) =>
            BatchNormKernel.ForwardInference(g, Ptr(x), PtrOrNull(gamma), PtrOrNull(beta), Ptr(runningMean),
                Ptr(runningVar), eps, Ptr(y));

        /// <inheritdoc />
        protected override void BatchNormBackwardCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
            DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma,
            DeviceBuffer? dbeta) =>
            BatchNormKernel.Backward(g, Ptr(x), Ptr(dy), PtrOrNull(gamma), Ptr(saveMean), Ptr(saveInvStd),
                PtrOrNull(dx), PtrOrNull(dgamma), PtrOrNull(dbeta), overwrite: false);

        /// <inheritdoc />
        protected override void BatchNormBackwardOverwriteCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
            DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer dx, DeviceBuffer? dgamma,
            DeviceBuffer? dbeta) =>
            BatchNormKernel.Backward(g, Ptr(x), Ptr(dy), PtrOrNull(gamma), Ptr(saveMean), Ptr(saveInvStd), Ptr(dx),
                PtrOrNull(dgamma), PtrOrNull(dbeta), overwrite: true);
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>
    /// Shape of a batch normalisation over channels in NCHW layout: x and y are (N, C, Inner) with Inner = H*W; the
    /// statistics of channel c run over N*Inner values. Per-channel tensors (gamma, beta, means, variances) hold C.
    /// </summary>
    public readonly record struct BatchNormGeometry(int N, int C, int Inner)
    {
        /// <summary>Elements of x and y.</summary>
        public int Length => N * C * Inner;

        /// <summary>Values each channel's statistics run over.</summary>
        public int PerChannel => N * Inner;

        /// <summary>Throws <see cref="ArgumentException"/> when a size is not positive.</summary>
        public void Validate()
        {
            if (N < 1 || C < 1 || Inner < 1)
            {
                throw new ArgumentException($"BatchNorm sizes must be positive: {this}.");
            }
        }
    }

    /// <summary>
    /// Batch normalisation on the CPU in three steps: sums in parallel, their combination per channel in double on the
    /// calling thread, then an element-wise pass over the (n, c) planes in parallel. Sums run per plane, so that every
    /// core has work even for an RGB input and memory is read in order; the forward statistics of many small planes
    /// run per channel instead, where a plane's own bookkeeping would cost more than its sums.
    /// </summary>
    /// <remarks>
    /// Sums run in float vector lanes over blocks of <see cref="Block"/> values and the block totals add up in double,
    /// so no float sum covers more than a few dozen terms. The forward statistics subtract the first value of what
    /// they sum before summing (a shift), so a mean far from zero does not cancel the variance away, and planes combine
    /// exactly: M2 = sum of the planes' M2 + Inner * sum of (plane mean - mean)^2. Each channel or plane is summed the
    /// same way whichever worker takes it and the combination runs in a fixed order, so the results do not depend on
    /// the number of threads.
    /// </remarks>
    internal sealed unsafe class BatchNormCpu : IParallelJob
    {
        // Values per float block sum: with two accumulators of Vector<float>.Count lanes each lane adds at most
        // Block / (2 * lanes) terms (16 with 256-bit vectors), bounding its rounding error by as many float epsilons.
        private const int Block = 256;

        // Below this many elements per work item, waking a second core costs more than it saves.
        private const int MinItemElements = 1 << 14;

        // Forward statistics of small planes (ResNet's 7x7, a CIFAR network's 4x4) are summed channel by channel.
        private const int ChannelWiseMinChannels = 16;
        private const int ChannelWiseMaxInner = 64;

        private readonly CpuWorkers workers;
        private double[] planeStats = [];
        private float[] coefficients = [];
        private double* stats;
        private float* coefA;
        private float* coefB;
        private float* coefC;
        private BatchNormGeometry g;
        private Step step;
        private bool channelWise;
        private int unitsPerItem;
        private float* x;
        private float* y;
        private float* dy;
        private float* dx;
        private float* mean;

        public BatchNormCpu(CpuWorkers workers) => this.workers = workers;

        private enum Step
        {
            // stats[2u] = mean of unit u (a channel or a plane), stats[2u+1] = its sum of squared deviations
            Statistics,

            // stats[2u] = sum of dy over unit u, stats[2u+1] = sum of dy * (x - mean[c])
            GradientSums,

            // y = (x - mean[c]) * coefA[c] + coefB[c]
            Normalize,

            // dx += coefA[c] * ((dy - coefB[c]) - (x - mean[c]) * coefC[c])
            InputGradient,

            // dx = coefA[c] * ((dy - coefB[c]) - (x - mean[c]) * coefC[c])
            InputGradientOverwrite,
        }

        // x:(N,C,Inner) y:(N,C,Inner); per-channel tensors (C); gamma and beta may be null (1 and 0).
        public void ForwardTraining(in BatchNormGeometry geometry, float* input, float* gamma, float* beta,
            float* output, float* saveMean, float* saveInvStd, float* runningMean, float* runningVar, float momentum,
            float eps)
        {
            Prepare(geometry);
            x = input;
            channelWise = g.C >= ChannelWiseMinChannels && g.Inner < ChannelWiseMaxInner;
            Launch(Step.Statistics);

            int units = channelWise ? 1 : g.N, c = g.C;
            double perUnit = channelWise ? g.PerChannel : g.Inner, count = g.PerChannel;
            for (var ch = 0; ch < c; ch++)
            {
                var sumOfMeans = 0.0;
                for (var u = 0; u < units; u++)
                {
                    sumOfMeans += stats[2 * (u * c + ch)];
                }

                var mu = sumOfMeans / units;
                var m2 = 0.0;
                for (var u = 0; u < units; u++)
                {
                    var at = 2 * (u * c + ch);
                    var d = stats[at] - mu;
                    m2 += stats[at + 1] + perUnit * d * d;
                }

                // PyTorch normalises with the biased variance and tracks the unbiased one; a single value per channel
                // has no unbiased variance, and then the biased one (zero) is tracked rather than a division by zero.
                var variance = m2 / count;
                var unbiased = count > 1 ? m2 / (count - 1) : variance;
                var invStd = 1.0 / Math.Sqrt(variance + eps);
                saveMean[ch] = (float)mu;
                saveInvStd[ch] = (float)invStd;
                runningMean[ch] = (float)((1.0 - momentum) * runningMean[ch] + momentum * mu);
                runningVar[ch] = (float)((1.0 - momentum) * runningVar[ch] + momentum * unbiased);
                SetAffine(ch, gamma, beta, invStd);
            }

            mean = saveMean;
            y = output;
            Launch(Step.Normalize);
        }

        // x:(N,C,Inner) y:(N,C,Inner) with the running statistics.
        public void ForwardInference(in BatchNormGeometry geometry, float* input, float* gamma, float* beta,
            float* runningMean, float* runningVar, float eps, float* output)
        {
            Prepare(geometry);
            for (var ch = 0; ch < g.C; ch++)
            {
                SetAffine(ch, gamma, beta, 1.0 / Math.Sqrt((double)runningVar[ch] + eps));
            }

            mean = runningMean;
            x = input;
            y = output;
            Launch(Step.Normalize);
        }

        // x, dy, dx:(N,C,Inner) += (= with overwrite); dgamma, dbeta:(C) +=; any of dx, dgamma, dbeta may be null.
        public void Backward(in BatchNormGeometry geometry, float* input, float* dOutput, float* gamma, float* saveMean,
            float* saveInvStd, float* dInput, float* dgamma, float* dbeta, bool overwrite)
        {
            Prepare(geometry);
            x = input;
            dy = dOutput;
            mean = saveMean;
            Launch(Step.GradientSums);

            int units = channelWise ? 1 : g.N, c = g.C;
            double count = g.PerChannel;
            for (var ch = 0; ch < c; ch++)
            {
                double sumDy = 0, sumDyXmu = 0;
                for (var u = 0; u < units; u++)
                {
                    var at = 2 * (u * c + ch);
                    sumDy += stats[at];
                    sumDyXmu += stats[at + 1];
                }

                double invStd = saveInvStd[ch];
                if (dbeta != null)
                {
                    dbeta[ch] += (float)sumDy;
                }

                if (dgamma != null)
                {
                    dgamma[ch] += (float)(invStd * sumDyXmu);
                }

                // dx = k (dy - sum(dy)/M - xhat sum(dy xhat)/M) with k = gamma invStd and xhat = (x - mean) invStd,
                // as k ((dy - mean(dy)) - (x - mean) invStd^2 sum(dy (x - mean))/M): the differences come first, so
                // that a channel whose values are all equal (or a single value) gets exactly zero.
                coefA[ch] = (float)((gamma == null ? 1.0 : gamma[ch]) * invStd);
                coefB[ch] = (float)(sumDy / count);
                coefC[ch] = (float)(invStd * invStd * sumDyXmu / count);
            }

            if (dInput != null)
            {
                dx = dInput;
                Launch(overwrite ? Step.InputGradientOverwrite : Step.InputGradient);
            }
        }

        public void Run(int index, int worker)
        {
            // Unit u is channel u (channel-wise sums) or plane u = n * C + c; either way its slot in stats is u.
            var reduction = step is Step.Statistics or Step.GradientSums;
            var units = reduction && channelWise ? g.C : g.N * g.C;
            var (planes, stride) = reduction && channelWise ? (g.N, (long)g.C * g.Inner) : (1, 0L);
            var inner = g.Inner;
            for (int u = index * unitsPerItem, end = Math.Min(units, u + unitsPerItem); u < end; u++)
            {
                var ch = u % g.C;
                var offset = (long)u * inner;
                switch (step)
                {
                    case Step.Statistics:
                    {
                        var shift = x[offset];
                        double count = (long)planes * inner;
                        ShiftedSums(x + offset, planes, stride, inner, shift, out var sum, out var squares);
                        stats[2 * u] = shift + sum / count;
                        stats[2 * u + 1] = Math.Max(0.0, squares - sum * sum / count);
                        break;
                    }

                    case Step.GradientSums:
                    {
                        GradientSums(dy + offset, x + offset, planes, stride, inner, mean[ch], out var sumDy,
                            out var sumDyXmu);
                        stats[2 * u] = sumDy;
                        stats[2 * u + 1] = sumDyXmu;
                        break;
                    }

                    case Step.Normalize:
                        Normalize(x + offset, y + offset, inner, mean[ch], coefA[ch], coefB[ch]);
                        break;

                    case Step.InputGradient:
                        InputGradient<Accumulate>(x + offset, dy + offset, dx + offset, inner, coefA[ch], coefB[ch],
                            coefC[ch], mean[ch]);
                        break;

                    default:
                        InputGradient<Overwrite>(x + offset, dy + offset, dx + offset, inner, coefA[ch], coefB[ch],
                            coefC[ch], mean[ch]);
                        break;
                }
            }
        }

        // y = (x - mean) * scale + beta with scale = gamma invStd, rounded once from double. NOTE: the mean is
        // subtracted first rather than folded into the shift (x * scale + (beta - mean * scale)), which would cancel
        // catastrophically when invStd is large: a channel of equal values gives exactly beta.
        private void SetAffine(int ch, float* gamma, float* beta, double invStd)
        {
            coefA[ch] = (float)((gamma == null ? 1.0 : gamma[ch]) * invStd);
            coefB[ch] = beta == null ? 0f : beta[ch];
        }

        // Grows the unit and channel scratch on the calling thread, before any work is dispatched.
        private void Prepare(in BatchNormGeometry geometry)
        {
            g = geometry;
            channelWise = false;
            stats = Ensure(ref planeStats, 2 * g.N * g.C);
            var channels = Ensure(ref coefficients, 3 * g.C);
            coefA = channels;
            coefB = channels + g.C;
            coefC = channels + 2 * g.C;
        }

        private void Launch(Step what)
        {
            step = what;
            var units = channelWise && what is Step.Statistics or Step.GradientSums ? g.C : g.N * g.C;
            var items = (int)Math.Clamp((long)g.Length / MinItemElements, 1, Math.Min(units, workers.Count * 4));
            unitsPerItem = (units + items - 1) / items;
            workers.Run(this, (units + unitsPerItem - 1) / unitsPerItem);
        }

        private static T* Ensure<T>(ref T[] array, int length)
            where T : unmanaged
        {
            if (array.Length < length)
            {
                array = GC.AllocateUninitializedArray<T>(length, pinned: true);
            }

            return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        }

        // sum = sum of (v - shift), squares = sum of (v - shift)^2 over v[0..n) of each of the planes, stride apart.
        private static void ShiftedSums(float* v, int planes, long stride, int n, float shift, out double sum,
            out double squares)
        {
            int lanes = Vector<float>.Count, pending = 0;
            var s = new Vector<float>(shift);
            Vector<float> sum0 = default, sum1 = default, sq0 = default, sq1 = default;
            double total = 0, totalSquares = 0;
            for (var p = 0; p < planes; p++, v += stride)
            {
                var i = 0;
                for (; i + 2 * lanes <= n; i += 2 * lanes)
                {
                    var d0 = Vector.Load(v + i) - s;
                    var d1 = Vector.Load(v + i + lanes) - s;
                    sum0 += d0;
                    sq0 += d0 * d0;
                    sum1 += d1;
                    sq1 += d1 * d1;
                    if ((pending += 2 * lanes) >= Block)
                    {
                        Flush(ref total, ref sum0, ref sum1);
                        Flush(ref totalSquares, ref sq0, ref sq1);
                        pending = 0;
                    }
                }

                if (i + lanes <= n)
                {
                    var d = Vector.Load(v + i) - s;
                    sum0 += d;
                    sq0 += d * d;
                    pending += lanes;
                    i += lanes;
                }

                for (; i < n; i++)
                {
                    double d = v[i] - shift;
                    total += d;
                    totalSquares += d * d;
                }
            }

            Flush(ref total, ref sum0, ref sum1);
            Flush(ref totalSquares, ref sq0, ref sq1);
            (sum, squares) = (total, totalSquares);
        }

        // sumDy = sum of dy, sumDyXmu = sum of dy * (x - mu) over [0..n) of each of the planes, stride apart.
        private static void GradientSums(float* dy, float* x, int planes, long stride, int n, float mu,
            out double sumDy, out double sumDyXmu)
        {
            int lanes = Vector<float>.Count, pending = 0;
            var m = new Vector<float>(mu);
            Vector<float> g0 = default, g1 = default, p0 = default, p1 = default;
            double totalDy = 0, totalDyXmu = 0;
            for (var p = 0; p < planes; p++, dy += stride, x += stride)
            {
                var i = 0;
                for (; i + 2 * lanes <= n; i += 2 * lanes)
                {
                    var d0 = Vector.Load(dy + i);
                    var d1 = Vector.Load(dy + i + lanes);
                    g0 += d0;
                    p0 += d0 * (Vector.Load(x + i) - m);
                    g1 += d1;
                    p1 += d1 * (Vector.Load(x + i + lanes) - m);
                    if ((pending += 2 * lanes) >= Block)
                    {
                        Flush(ref totalDy, ref g0, ref g1);
                        Flush(ref totalDyXmu, ref p0, ref p1);
                        pending = 0;
                    }
                }

                if (i + lanes <= n)
                {
                    var d = Vector.Load(dy + i);
                    g0 += d;
                    p0 += d * (Vector.Load(x + i) - m);
                    pending += lanes;
                    i += lanes;
                }

                for (; i < n; i++)
                {
                    totalDy += dy[i];
                    totalDyXmu += dy[i] * (x[i] - mu);
                }
            }

            Flush(ref totalDy, ref g0, ref g1);
            Flush(ref totalDyXmu, ref p0, ref p1);
            (sumDy, sumDyXmu) = (totalDy, totalDyXmu);
        }

        // Adds a block's lanes to the double total and starts the block afresh.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Flush(ref double total, ref Vector<float> a, ref Vector<float> b)
        {
            total += Vector.Sum(a + b);
            a = b = default;
        }

        // y = (x - mu) a + b
        private static void Normalize(float* x, float* y, int n, float mu, float a, float b)
        {
            int lanes = Vector<float>.Count, i = 0;
            var (vm, va, vb) = (new Vector<float>(mu), new Vector<float>(a), new Vector<float>(b));
            for (; i + lanes <= n; i += lanes)
            {
                ((Vector.Load(x + i) - vm) * va + vb).Store(y + i);
            }

            for (; i < n; i++)
            {
                y[i] = (x[i] - mu) * a + b;
            }
        }

        // dx += a ((dy - b) - (x - mu) c), or dx = that when TStore is Overwrite (then dx is never read).
        private static void InputGradient<TStore>(float* x, float* dy, float* dx, int n, float a, float b, float c,
            float mu)
            where TStore : struct
        {
            int lanes = Vector<float>.Count, i = 0;
            var (va, vb, vc, vm) = (new Vector<float>(a), new Vector<float>(b), new Vector<float>(c),
                new Vector<float>(mu));
            for (; i + lanes <= n; i += lanes)
            {
                var step = va * ((Vector.Load(dy + i) - vb) - (Vector.Load(x + i) - vm) * vc);
                (typeof(TStore) == typeof(Overwrite) ? step : Vector.Load(dx + i) + step).Store(dx + i);
            }

            for (; i < n; i++)
            {
                var step = a * ((dy[i] - b) - (x[i] - mu) * c);
                dx[i] = typeof(TStore) == typeof(Overwrite) ? step : dx[i] + step;
            }
        }

        // Type arguments of InputGradient: the JIT compiles one loop for each and drops the test of the other.
        private struct Accumulate;

        private struct Overwrite;
    }
}
