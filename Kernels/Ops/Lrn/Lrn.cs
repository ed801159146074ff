using System.Numerics;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // The checked entry points of local response normalisation and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>Local response normalisation (see <see cref="LrnGeometry"/>); scale keeps
        /// K + Alpha/Size * (window sum of squares) per element for backward.</summary>
        public void LrnForward(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale)
        {
            g.Validate();
            CheckRange(x, 0, g.Length, nameof(x));
            CheckRange(y, 0, g.Length, nameof(y));
            CheckRange(scale, 0, g.Length, nameof(scale));
            LrnForwardCore(g, x, y, scale);
        }

        /// <summary>dx += the gradient of local response normalisation, from x, y, the saved scale and dy.</summary>
        public void LrnBackward(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale, DeviceBuffer dy,
            DeviceBuffer dx)
        {
            g.Validate();
            CheckRange(x, 0, g.Length, nameof(x));
            CheckRange(y, 0, g.Length, nameof(y));
            CheckRange(scale, 0, g.Length, nameof(scale));
            CheckRange(dy, 0, g.Length, nameof(dy));
            CheckRange(dx, 0, g.Length, nameof(dx));
            LrnBackwardCore(g, x, y, scale, dy, dx);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void LrnForwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale);
        protected abstract void LrnBackwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale,
            DeviceBuffer dy, DeviceBuffer dx);
#pragma warning restore CS1591
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's local response normalisation.
    public sealed unsafe partial class CpuAccelerator
    {
        private LrnCpu? lrn;

        // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
        private LrnCpu LrnKernel => lrn ??= new LrnCpu(workers, new CpuScratch(workers.Count));

        /// <inheritdoc />
        protected override void LrnForwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale) =>
            LrnKernel.Forward(g, Ptr(x), Ptr(y), Ptr(scale));

        /// <inheritdoc />
        protected override void LrnBackwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale,
            DeviceBuffer dy, DeviceBuffer dx) => LrnKernel.Backward(g, Ptr(x), Ptr(y), Ptr(scale), Ptr(dy), Ptr(dx));
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>
    /// Local response normalisation across channels (PyTorch's LocalResponseNorm): x and y are (N, C, Inner) and
    /// y[c] = x[c] / (K + Alpha/Size * sum of x[c']^2 over c' in [c - Size/2, c + (Size-1)/2])^Beta, channels outside
    /// [0, C) counting as zero. The AlexNet paper's alpha is not divided by the size: its 1e-4 is Alpha = 5e-4 here.
    /// </summary>
    public readonly record struct LrnGeometry(int N, int C, int Inner, int Size, float Alpha, float Beta, float K)
    {
        /// <summary>Elements of x and y.</summary>
        public int Length => N * C * Inner;

        /// <summary>Throws <see cref="ArgumentException"/> when a size is not positive or K is not positive.</summary>
        public void Validate()
        {
            if (N < 1 || C < 1 || Inner < 1 || Size < 1)
            {
                throw new ArgumentException($"LocalResponseNorm sizes must be positive: {this}.");
            }

            if (!(K > 0) || !(Alpha >= 0) || !float.IsFinite(Beta))
            {
                throw new ArgumentException($"LocalResponseNorm needs K > 0, Alpha >= 0 and a finite Beta: {this}.");
            }
        }
    }

    /// <summary>
    /// Local response normalisation on the CPU. A work item is a strip of positions of one image through all its
    /// channels: the strip's per-channel terms (squares forward, dy * y / scale backward) go once into the worker's
    /// scratch, and each channel's window sum reads them from there, vectorised along the strip. Strips are as wide as
    /// a scratch of <see cref="ScratchFloats"/> allows, so that rows are long runs of memory for the prefetcher.
    /// </summary>
    internal sealed unsafe class LrnCpu : IParallelJob
    {
        // A strip's scratch, C strip widths, stays within a core's L2 cache.
        private const int ScratchFloats = 1 << 16;
        private const int MinStripWidth = 64;
        private const int MaxStripWidth = 2048;

        // Below this many elements per work item, waking a second core costs more than it saves.
        private const int MinItemElements = 1 << 14;

        private readonly CpuWorkers workers;
        private readonly CpuScratch scratch;
        private LrnGeometry g;
        private bool backward;
        private int stripWidth;
        private int stripsPerImage;
        private int stripsPerItem;
        private float* x;
        private float* y;
        private float* scale;
        private float* dy;
        private float* dx;

        public LrnCpu(CpuWorkers workers, CpuScratch scratch)
        {
            this.workers = workers;
            this.scratch = scratch;
        }

        // x:(N,C,Inner) y:(N,C,Inner) scale:(N,C,Inner)
        public void Forward(in LrnGeometry geometry, float* input, float* output, float* scaleOut)
        {
            x = input;
            y = output;
            scale = scaleOut;
            Launch(geometry, isBackward: false);
        }

        // x, y, scale, dy:(N,C,Inner); dx:(N,C,Inner) +=
        public void Backward(in LrnGeometry geometry, float* input, float* output, float* savedScale, float* dOutput,
            float* dInput)
        {
            x = input;
            y = output;
            scale = savedScale;
            dy = dOutput;
            dx = dInput;
            Launch(geometry, isBackward: true);
        }

        public void Run(int index, int worker)
        {
            var strips = g.N * stripsPerImage;
            var terms = scratch.ForWorker(worker, g.C * stripWidth);
            for (int s = index * stripsPerItem, end = Math.Min(strips, s + stripsPerItem); s < end; s++)
            {
                var first = s % stripsPerImage * stripWidth;
                var start = (long)(s / stripsPerImage) * g.C * g.Inner + first;
                var width = Math.Min(stripWidth, g.Inner - first);
                switch ((backward, g.Beta))
                {
                    case (false, 0.75f):
                        ForwardStrip<NegativeThreeQuarters>(start, width, terms);
                        break;
                    case (false, 0.5f):
                        ForwardStrip<NegativeHalf>(start, width, terms);
                        break;
                    case (false, 1f):
                        ForwardStrip<NegativeOne>(start, width, terms);
                        break;
                    case (false, _):
                        ForwardStrip<General>(start, width, terms);
                        break;
                    case (true, 0.75f):
                        BackwardStrip<NegativeThreeQuarters>(start, width, terms);
                        break;
                    case (true, 0.5f):
                        BackwardStrip<NegativeHalf>(start, width, terms);
                        break;
                    case (true, 1f):
                        BackwardStrip<NegativeOne>(start, width, terms);
                        break;
                    default:
                        BackwardStrip<General>(start, width, terms);
                        break;
                }
            }
        }

        // scale = K + Alpha/Size * (window sum of x^2), y = x * scale^-Beta, for channels c - Size/2 .. c + (Size-1)/2.
        private void ForwardStrip<TPower>(long start, int width, float* squares)
            where TPower : struct, INegativePower
        {
            int channels = g.C, inner = g.Inner, stride = stripWidth, lanes = Vector<float>.Count;
            for (var c = 0; c < channels; c++)
            {
                var row = x + start + (long)c * inner;
                var sq = squares + c * stride;
                var j = 0;
                for (; j + lanes <= width; j += lanes)
                {
                    var v = Vector.Load(row + j);
                    (v * v).Store(sq + j);
                }

                for (; j < width; j++)
                {
                    sq[j] = row[j] * row[j];
                }
            }

            float k = g.K, a = g.Alpha / g.Size, beta = g.Beta;
            var (vk, va) = (new Vector<float>(k), new Vector<float>(a));
            for (var c = 0; c < channels; c++)
            {
                var offset = start + (long)c * inner;
                float* lo = squares + Math.Max(0, c - g.Size / 2) * stride;
                float* hi = squares + Math.Min(channels - 1, c + (g.Size - 1) / 2) * stride;
                float* xr = x + offset, yr = y + offset, sr = scale + offset;
                var j = 0;
                for (; j + lanes <= width; j += lanes)
                {
                    var sum = Vector.Load(lo + j);
                    for (var t = lo + stride; t <= hi; t += stride)
                    {
                        sum += Vector.Load(t + j);
                    }

                    var s = vk + va * sum;
                    s.Store(sr + j);
                    (Vector.Load(xr + j) * TPower.Of(s, beta)).Store(yr + j);
                }

                for (; j < width; j++)
                {
                    var sum = lo[j];
                    for (var t = lo + stride; t <= hi; t += stride)
                    {
                        sum += t[j];
                    }

                    sr[j] = k + a * sum;
                    yr[j] = xr[j] * TPower.Of(sr[j], beta);
                }
            }
        }

        // dx_j += dy_j scale_j^-Beta - 2 Alpha/Size Beta x_j * sum of dy_c y_c / scale_c over the channels c whose
        // window holds j: c = j - (Size-1)/2 .. j + Size/2 (the forward window, mirrored).
        private void BackwardStrip<TPower>(long start, int width, float* terms)
            where TPower : struct, INegativePower
        {
            int channels = g.C, inner = g.Inner, stride = stripWidth, lanes = Vector<float>.Count;
            for (var c = 0; c < channels; c++)
            {
                var offset = start + (long)c * inner;
                float* r = terms + c * stride, dyr = dy + offset, yr = y + offset, sr = scale + offset;
                var j = 0;
                for (; j + lanes <= width; j += lanes)
                {
                    (Vector.Load(dyr + j) * Vector.Load(yr + j) / Vector.Load(sr + j)).Store(r + j);
                }

                for (; j < width; j++)
                {
                    r[j] = dyr[j] * yr[j] / sr[j];
                }
            }

            var (beta, coefficient) = (g.Beta, (float)(-2.0 * g.Alpha / g.Size * g.Beta));
            var k = new Vector<float>(coefficient);
            for (var c = 0; c < channels; c++)
            {
                var offset = start + (long)c * inner;
                float* lo = terms + Math.Max(0, c - (g.Size - 1) / 2) * stride;
                float* hi = terms + Math.Min(channels - 1, c + g.Size / 2) * stride;
                float* xr = x + offset, dyr = dy + offset, dxr = dx + offset, sr = scale + offset;
                var j = 0;
                for (; j + lanes <= width; j += lanes)
                {
                    var sum = Vector.Load(lo + j);
                    for (var t = lo + stride; t <= hi; t += stride)
                    {
                        sum += Vector.Load(t + j);
                    }

                    var step = Vector.Load(dyr + j) * TPower.Of(Vector.Load(sr + j), beta)
                        + k * Vector.Load(xr + j) * sum;
                    (Vector.Load(dxr + j) + step).Store(dxr + j);
                }

                for (; j < width; j++)
                {
                    var sum = lo[j];
                    for (var t = lo + stride; t <= hi; t += stride)
                    {
                        sum += t[j];
                    }

                    dxr[j] += dyr[j] * TPower.Of(sr[j], beta) + coefficient * xr[j] * sum;
                }
            }
        }

        private void Launch(in LrnGeometry geometry, bool isBackward)
        {
            g = geometry;
            backward = isBackward;
            var widest = Math.Clamp(ScratchFloats / g.C / 16 * 16, MinStripWidth, MaxStripWidth);
            stripWidth = Math.Min(widest, g.Inner);
            stripsPerImage = (g.Inner + stripWidth - 1) / stripWidth;
            var strips = g.N * stripsPerImage;

            // Items of at least MinItemElements, and at most four per worker so that no core idles long at the end.
            var perStrip = (long)g.C * stripWidth;
            var minimum = (int)Math.Min(strips, (MinItemElements + perStrip - 1) / perStrip);
            stripsPerItem = Math.Max(minimum, (strips + workers.Count * 4 - 1) / (workers.Count * 4));
            scratch.Reserve(g.C * stripWidth);
            workers.Run(this, (strips + stripsPerItem - 1) / stripsPerItem);
        }

        // s^-beta for one exponent: the common ones take square roots and a division, correctly rounded and several
        // times faster than a general power, which goes lane by lane.
        private interface INegativePower
        {
            static abstract Vector<float> Of(Vector<float> s, float beta);

            static abstract float Of(float s, float beta);
        }

        // AlexNet's beta = 0.75: s^-0.75 = s^0.25 / s.
        private readonly struct NegativeThreeQuarters : INegativePower
        {
            public static Vector<float> Of(Vector<float> s, float beta) => Vector.SquareRoot(Vector.SquareRoot(s)) / s;

            public static float Of(float s, float beta) => MathF.Sqrt(MathF.Sqrt(s)) / s;
        }

        private readonly struct NegativeHalf : INegativePower
        {
            public static Vector<float> Of(Vector<float> s, float beta) => Vector<float>.One / Vector.SquareRoot(s);

            public static float Of(float s, float beta) => 1f / MathF.Sqrt(s);
        }

        private readonly struct NegativeOne : INegativePower
        {
            public static Vector<float> Of(Vector<float> s, float beta) => Vector<float>.One / s;

            public static float Of(float s, float beta) => 1f / s;
        }

        private readonly struct General : INegativePower
        {
            public static Vector<float> Of(Vector<float> s, float beta)
            {
                Span<float> lanes = stackalloc float[Vector<float>.Count];
                s.CopyTo(lanes);
                foreach (ref var lane in lanes)
                {
                    lane = MathF.Pow(lane, -beta);
                }

                return new Vector<float>(lanes);
            }

            public static float Of(float s, float beta) => MathF.Pow(s, -beta);
        }
    }
}
