using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Cpu.Direct;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // Evaluation-mode convolution with the batch norm and ReLU that follow it applied as its outputs are written.
    public abstract partial class Accelerator
    {
        /// <summary>
        /// y = relu(bn(conv(x, w) + b)) in evaluation mode, bn and relu each optional: the values the separate
        /// <see cref="Conv2dForward"/>, <see cref="BatchNormForwardInference"/> and ReLU calls would write, in one
        /// pass where the backend can. x:(N,C,H,W) w:(K,C/G,R,S) b:(K) or null y:(N,K,P,Q); the batch norm's
        /// per-channel tensors hold K.
        /// </summary>
        public void Conv2dForwardNormalized(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b,
            in InferenceBatchNorm? norm, bool relu, DeviceBuffer y)
        {
            CheckConv2dForward(g, x, w, b, y);
            if (norm is { } n)
            {
                if (!(n.Eps > 0))
                {
                    throw new ArgumentException($"BatchNorm needs eps > 0, got {n.Eps}.", nameof(norm));
                }

                CheckChannels(n.Gamma, g.K);
                CheckChannels(n.Beta, g.K);
                CheckChannels(n.RunningMean, g.K);
                CheckChannels(n.RunningVar, g.K);
            }

            Conv2dForwardNormalizedCore(g, x, w, b, norm, relu, y);
        }

        private void CheckChannels(DeviceBuffer? channels, int count)
        {
            if (channels is not null)
            {
                CheckRange(channels, 0, count, "per-channel tensor");
            }
        }

        /// <summary>The fused forward; by default the three kernels one after another, in place on y.</summary>
        /// <param name="g">The convolution.</param>
        /// <param name="x">Input.</param>
        /// <param name="w">Weights.</param>
        /// <param name="b">Bias or null.</param>
        /// <param name="norm">The batch norm, or null.</param>
        /// <param name="relu">Whether ReLU follows.</param>
        /// <param name="y">Output.</param>
        protected virtual void Conv2dForwardNormalizedCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w,
            DeviceBuffer? b, in InferenceBatchNorm? norm, bool relu, DeviceBuffer y)
        {
            Conv2dForwardCore(g, x, w, b, y);
            if (norm is { } n)
            {
                BatchNormForwardInference(new BatchNormGeometry(g.N, g.K, g.P * g.Q), y, n.Gamma, n.Beta,
                    n.RunningMean, n.RunningVar, n.Eps, y);
            }

            if (relu)
            {
                ActivationForward(ActivationKind.Relu, y, y, g.OutputLength);
            }
        }
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>An evaluation-mode batch norm over a convolution's K channels: y = (v - mean) * gamma /
    /// sqrt(var + eps) + beta, gamma and beta null when not affine.</summary>
    public readonly record struct InferenceBatchNorm(DeviceBuffer? Gamma, DeviceBuffer? Beta, DeviceBuffer RunningMean,
        DeviceBuffer RunningVar, float Eps);
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's fused evaluation-mode convolution: the batch norm's scale per channel is rounded from double
    // exactly as the batch norm kernel rounds it, and each kernel applies it in its epilogue (or one pass after it).
    public sealed unsafe partial class CpuAccelerator
    {
        private CpuScratch? normScratch;
        private ConvEpiloguePass? epiloguePass;

        /// <inheritdoc />
        protected override void Conv2dForwardNormalizedCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w,
            DeviceBuffer? b, in InferenceBatchNorm? norm, bool relu, DeviceBuffer y)
        {
            float* mean = null, scale = null, shift = null;
            if (norm is { } n)
            {
                normScratch ??= new CpuScratch(1);
                scale = normScratch.Shared(0, 2 * g.K);
                shift = scale + g.K;
                float* gamma = PtrOrNull(n.Gamma), beta = PtrOrNull(n.Beta), variance = Ptr(n.RunningVar);
                for (var k = 0; k < g.K; k++)
                {
                    var invStd = 1.0 / Math.Sqrt((double)variance[k] + n.Eps);
                    scale[k] = (float)((gamma == null ? 1.0 : gamma[k]) * invStd);
                    shift[k] = beta == null ? 0f : beta[k];
                }

                mean = Ptr(n.RunningMean);
            }

            Conv2dForward(g, x, w, y, new ConvEpilogue(PtrOrNull(b), mean, scale, shift, relu));
        }

        // The batch norm and ReLU of the epilogue over y, for the kernels that only add the bias.
        private void NormalizeAfter(in Conv2dGeometry g, float* y, in ConvEpilogue after)
        {
            if (after.Normalizes)
            {
                epiloguePass ??= new ConvEpiloguePass(workers);
                epiloguePass.Run(g, y, new ConvEpilogue(null, after.Mean, after.Scale, after.Shift, after.Relu));
            }
        }
    }
}
