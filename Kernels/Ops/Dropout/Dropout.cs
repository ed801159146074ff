using System.Runtime.Intrinsics;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // The checked entry points of inverted dropout and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>
        /// Inverted dropout: mask[i] = 0 with probability <paramref name="p"/>, else 1/(1-p); y = x * mask.
        /// The mask is a pure function of (<paramref name="seed"/>, i), so a run is reproducible on any backend.
        /// </summary>
        public void DropoutForward(DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed)
        {
            if (!(p >= 0f && p < 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
            }

            CheckRange(x, 0, count, nameof(x));
            CheckRange(mask, 0, count, nameof(mask));
            CheckRange(y, 0, count, nameof(y));
            DropoutForwardCore(x, mask, y, count, p, seed);
        }

        /// <summary>dx += dy * mask.</summary>
        public void DropoutBackward(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count)
        {
            CheckRange(mask, 0, count, nameof(mask));
            CheckRange(dy, 0, count, nameof(dy));
            CheckRange(dx, 0, count, nameof(dx));
            DropoutBackwardCore(mask, dy, dx, count);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void DropoutForwardCore(
            DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed);
        protected abstract void DropoutBackwardCore(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count);
#pragma warning restore CS1591
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's inverted dropout.
    public sealed unsafe partial class CpuAccelerator
    {
        private ChunkJob<DropoutOperands>? dropoutJob;

        private ChunkJob<DropoutOperands> DropoutJob => dropoutJob ??= new(workers);

        /// <inheritdoc />
        protected override void DropoutForwardCore(
            DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed) =>
            DropoutCpu.Forward(DropoutJob, Ptr(x), Ptr(mask), Ptr(y), count, p, seed);

        /// <inheritdoc />
        protected override void DropoutBackwardCore(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count) =>
            DropoutCpu.Backward(DropoutJob, Ptr(mask), Ptr(dy), Ptr(dx), count);
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>
    /// A stateless generator: the value for (seed, index) is a hash of the two, so every element of a dropout mask
    /// can be drawn in parallel and the OpenCL kernel draws the same numbers as the CPU.
    /// </summary>
    public static class CounterRandom
    {
        private const uint M1 = 0x7feb352dU;
        private const uint M2 = 0x846ca68bU;

        /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
        public static float Uniform(ulong seed, uint index)
        {
            // Two rounds of a 32-bit avalanche mix (the "lowbias32" constants) over the seed's halves and the index.
            var h = Mix((uint)seed ^ Mix(index ^ (uint)(seed >> 32)));
            return (h >> 8) * (1f / 16777216f);
        }

        /// <summary><see cref="Uniform"/> for the eight indices start, start+1, ... start+7 at once.</summary>
        public static Vector256<float> Uniform8(ulong seed, uint start)
        {
            var index = Vector256.Create(start) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
            var h = Mix(Vector256.Create((uint)seed) ^ Mix(index ^ Vector256.Create((uint)(seed >> 32))));
            return Vector256.ConvertToSingle(Vector256.AsInt32(Vector256.ShiftRightLogical(h, 8))) *
                Vector256.Create(1f / 16777216f);
        }

        /// <summary><see cref="Uniform"/> for the sixteen indices start, start+1, ... start+15 at once.</summary>
        public static Vector512<float> Uniform16(ulong seed, uint start)
        {
            var index = Vector512.Create(start) + Vector512<uint>.Indices;
            var h = Mix(Vector512.Create((uint)seed) ^ Mix(index ^ Vector512.Create((uint)(seed >> 32))));
            return Vector512.ConvertToSingle(Vector512.AsInt32(Vector512.ShiftRightLogical(h, 8))) *
                Vector512.Create(1f / 16777216f);
        }

        private static uint Mix(uint x)
        {
            x ^= x >> 16;
            x *= M1;
            x ^= x >> 15;
            x *= M2;
            x ^= x >> 16;
            return x;
        }

        private static Vector256<uint> Mix(Vector256<uint> x)
        {
            x ^= Vector256.ShiftRightLogical(x, 16);
            x *= Vector256.Create(M1);
            x ^= Vector256.ShiftRightLogical(x, 15);
            x *= Vector256.Create(M2);
            x ^= Vector256.ShiftRightLogical(x, 16);
            return x;
        }

        private static Vector512<uint> Mix(Vector512<uint> x)
        {
            x ^= Vector512.ShiftRightLogical(x, 16);
            x *= Vector512.Create(M1);
            x ^= Vector512.ShiftRightLogical(x, 15);
            x *= Vector512.Create(M2);
            x ^= Vector512.ShiftRightLogical(x, 16);
            return x;
        }
    }

    /// <summary>The operands of dropout: forward reads X and writes Mask and Y from (P, Scale = 1/(1-p), Seed);
    /// backward adds Dy * Mask into Dx.</summary>
    internal unsafe struct DropoutOperands
    {
        public float* X;
        public float* Mask;
        public float* Y;
        public float* Dy;
        public float* Dx;
        public float P;
        public float Scale;
        public ulong Seed;
    }

    /// <summary>Inverted dropout on the CPU with the counter-based generator every backend shares.</summary>
    internal static unsafe class DropoutCpu
    {
        // x, mask, y:(count)
        public static void Forward(ChunkJob<DropoutOperands> job, float* x, float* mask, float* y, int count, float p,
            ulong seed)
        {
            job.Operands = new DropoutOperands { X = x, Mask = mask, Y = y, P = p, Scale = 1f / (1f - p), Seed = seed };
            job.Launch(&ForwardChunk, count);
        }

        // dx += dy * mask
        public static void Backward(ChunkJob<DropoutOperands> job, float* mask, float* dy, float* dx, int count)
        {
            job.Operands = new DropoutOperands { Mask = mask, Dy = dy, Dx = dx };
            job.Launch(&BackwardChunk, count);
        }

        private static void ForwardChunk(ChunkJob<DropoutOperands> j, int start, int end)
        {
            var o = j.Operands;
            var i = start;
            if (Vector512.IsHardwareAccelerated)
            {
                // The same draws sixteen at a time: each lane's value depends only on (seed, index).
                var p16 = Vector512.Create(o.P);
                var scale16 = Vector512.Create(o.Scale);
                for (; i + 16 <= end; i += 16)
                {
                    var keep = Vector512.GreaterThanOrEqual(CounterRandom.Uniform16(o.Seed, (uint)i), p16);
                    var mask = Vector512.BitwiseAnd(scale16, keep);
                    Vector512.Store(mask, o.Mask + i);
                    Vector512.Store(mask * Vector512.Load(o.X + i), o.Y + i);
                }
            }

            var p = Vector256.Create(o.P);
            var scale = Vector256.Create(o.Scale);
            for (; i + 8 <= end; i += 8)
            {
                var keep = Vector256.GreaterThanOrEqual(CounterRandom.Uniform8(o.Seed, (uint)i), p);
                var mask = Vector256.BitwiseAnd(scale, keep);
                Vector256.Store(mask, o.Mask + i);
                Vector256.Store(mask * Vector256.Load(o.X + i), o.Y + i);
            }

            for (; i < end; i++)
            {
                var keep = CounterRandom.Uniform(o.Seed, (uint)i) >= o.P ? o.Scale : 0f;
                o.Mask[i] = keep;
                o.Y[i] = o.X[i] * keep;
            }
        }

        private static void BackwardChunk(ChunkJob<DropoutOperands> j, int start, int end)
        {
            var o = j.Operands;
            var i = start;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i + 16 <= end; i += 16)
                {
                    var step16 = Vector512.Load(o.Mask + i) * Vector512.Load(o.Dy + i);
                    Vector512.Store(Vector512.Load(o.Dx + i) + step16, o.Dx + i);
                }
            }

            for (; i + 8 <= end; i += 8)
            {
                var step = Vector256.Load(o.Mask + i) * Vector256.Load(o.Dy + i);
                Vector256.Store(Vector256.Load(o.Dx + i) + step, o.Dx + i);
            }

            for (; i < end; i++)
            {
                o.Dx[i] += o.Mask[i] * o.Dy[i];
            }
        }
    }
}
