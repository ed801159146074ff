using System.Runtime.Intrinsics;

namespace GpuCnn.Kernels
{
    // The checked entry points of the leaky ReLU and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>y = x where x &gt; 0, else <paramref name="negativeSlope"/> * x, for the first
        /// <paramref name="count"/> elements (PyTorch's <c>leaky_relu</c>).</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is not finite.</exception>
        public void LeakyReluForward(DeviceBuffer x, DeviceBuffer y, int count, float negativeSlope)
        {
            CheckNegativeSlope(negativeSlope);
            CheckRange(x, 0, count, nameof(x));
            CheckRange(y, 0, count, nameof(y));
            LeakyReluForwardCore(x, y, count, negativeSlope);
        }

        /// <summary>dx += dy where x &gt; 0, else <paramref name="negativeSlope"/> * dy. At x = 0 the slope applies, as
        /// in PyTorch's <c>leaky_relu_backward</c>, which tests x &gt; 0.</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is not finite.</exception>
        public void LeakyReluBackward(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, int count, float negativeSlope)
        {
            CheckNegativeSlope(negativeSlope);
            CheckRange(x, 0, count, nameof(x));
            CheckRange(dy, 0, count, nameof(dy));
            CheckRange(dx, 0, count, nameof(dx));
            LeakyReluBackwardCore(x, dy, dx, count, negativeSlope);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void LeakyReluForwardCore(DeviceBuffer x, DeviceBuffer y, int count, float negativeSlope);
        protected abstract void LeakyReluBackwardCore(
            DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, int count, float negativeSlope);
#pragma warning restore CS1591

        private static void CheckNegativeSlope(float negativeSlope)
        {
            if (!float.IsFinite(negativeSlope))
            {
                throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope,
                    "The leaky ReLU's negative slope must be a finite number (PyTorch's default is 0.01).");
            }
        }
    }
}

namespace GpuCnn.Kernels.Cpu
{
    /// <summary>The buffers and slope of the leaky ReLU: forward reads X and writes Y; backward reads X and Dy and
    /// adds into Dx.</summary>
    internal unsafe struct LeakyReluOperands
    {
        public float* X;
        public float* Y;
        public float* Dy;
        public float* Dx;
        public float NegativeSlope;
    }

    // The CPU backend's leaky ReLU. The kernel is two short vector loops, so it lives here with its overrides (as the
    // buffer kernels do) rather than in a file of its own.
    public sealed unsafe partial class CpuAccelerator
    {
        private ChunkJob<LeakyReluOperands>? leakyReluJob;

        private ChunkJob<LeakyReluOperands> LeakyReluJob => leakyReluJob ??= new(workers);

        /// <inheritdoc />
        protected override void LeakyReluForwardCore(DeviceBuffer x, DeviceBuffer y, int count, float negativeSlope)
        {
            LeakyReluJob.Operands = new LeakyReluOperands { X = Ptr(x), Y = Ptr(y), NegativeSlope = negativeSlope };
            LeakyReluJob.Launch(&LeakyReluForwardChunk, count);
        }

        /// <inheritdoc />
        protected override void LeakyReluBackwardCore(
            DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, int count, float negativeSlope)
        {
            LeakyReluJob.Operands = new LeakyReluOperands
            {
                X = Ptr(x), Dy = Ptr(dy), Dx = Ptr(dx), NegativeSlope = negativeSlope,
            };
            LeakyReluJob.Launch(&LeakyReluBackwardChunk, count);
        }

        // x, y:(count); y = x > 0 ? x : slope * x
        private static void LeakyReluForwardChunk(ChunkJob<LeakyReluOperands> j, int start, int end)
        {
            var o = j.Operands;
            var slope = Vector256.Create(o.NegativeSlope);
            var i = start;
            for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
            {
                var v = Vector256.Load(o.X + i);
                Vector256.Store(
                    Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * slope),
                    o.Y + i);
            }

            for (; i < end; i++)
            {
                var v = o.X[i];
                o.Y[i] = v > 0f ? v : v * o.NegativeSlope;
            }
        }

        // dx += x > 0 ? dy : slope * dy (the slope at x = 0, as PyTorch)
        private static void LeakyReluBackwardChunk(ChunkJob<LeakyReluOperands> j, int start, int end)
        {
            var o = j.Operands;
            var slope = Vector256.Create(o.NegativeSlope);
            var i = start;
            for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
            {
                var g = Vector256.Load(o.Dy + i);
                var positive = Vector256.GreaterThan(Vector256.Load(o.X + i), Vector256<float>.Zero);
                Vector256.Store(
                    Vector256.Load(o.Dx + i) + Vector256.ConditionalSelect(positive, g, g * slope), o.Dx + i);
            }

            for (; i < end; i++)
            {
                var g = o.Dy[i];
                o.Dx[i] += o.X[i] > 0f ? g : g * o.NegativeSlope;
            }
        }
    }
}
