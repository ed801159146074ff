using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // The checked entry points of element-wise activations and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>y = f(x) for the first <paramref name="count"/> elements.</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not an
        /// <see cref="ActivationKind"/> value.</exception>
        public void ActivationForward(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count)
        {
            ActivationKinds.Check(kind, nameof(kind));
            CheckRange(x, 0, count, nameof(x));
            CheckRange(y, 0, count, nameof(y));
            ActivationForwardCore(kind, x, y, count);
        }

        /// <summary>dx += f'(x) * dy for the first <paramref name="count"/> elements, or with
        /// <paramref name="overwrite"/> dx = f'(x) * dy, never reading what dx held (a gradient this op is the first
        /// to write need not be zeroed first). Both the forward input x and its output y = f(x) are passed, so each
        /// function's derivative reads whichever is cheaper or exact.</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not an
        /// <see cref="ActivationKind"/> value.</exception>
        public void ActivationBackward(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
            DeviceBuffer dx, int count, bool overwrite = false)
        {
            ActivationKinds.Check(kind, nameof(kind));
            CheckRange(x, 0, count, nameof(x));
            CheckRange(y, 0, count, nameof(y));
            CheckRange(dy, 0, count, nameof(dy));
            CheckRange(dx, 0, count, nameof(dx));
            if (overwrite)
            {
                ActivationBackwardOverwriteCore(kind, x, y, dy, dx, count);
            }
            else
            {
                ActivationBackwardCore(kind, x, y, dy, dx, count);
            }
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void ActivationForwardCore(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count);
        protected abstract void ActivationBackwardCore(
            ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count);
#pragma warning restore CS1591

        /// <summary>dx = f'(x) * dy. By default a fill with zeros and the adding kernel, which is what the graph did
        /// before it let the first writer of a gradient overwrite it; a backend with a kernel that writes dx directly
        /// saves a pass over it.</summary>
        protected virtual void ActivationBackwardOverwriteCore(
            ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count)
        {
            FillCore(dx, 0f, count);
            ActivationBackwardCore(kind, x, y, dy, dx, count);
        }
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's element-wise activations.
    public sealed unsafe partial class CpuAccelerator
    {
        private ChunkJob<ActivationOperands>? activationJob;

        private ChunkJob<ActivationOperands> ActivationJob => activationJob ??= new(workers);

        /// <inheritdoc />
        protected override void ActivationForwardCore(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count) =>
            ActivationCpu.Forward(ActivationJob, kind, Ptr(x), Ptr(y), count);

        /// <inheritdoc />
        protected override void ActivationBackwardCore(
            ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count) =>
            ActivationCpu.Backward(ActivationJob, kind, Ptr(x), Ptr(y), Ptr(dy), Ptr(dx), count);

        /// <inheritdoc />
        /// <remarks>ReLU, the activation of the convolutional networks, writes dx in one pass; the others keep the
        /// default.</remarks>
        protected override void ActivationBackwardOverwriteCore(
            ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count)
        {
            if (kind == ActivationKind.Relu)
            {
                ActivationCpu.ReluBackwardOverwrite(ActivationJob, Ptr(y), Ptr(dy), Ptr(dx), count);
            }
            else
            {
                base.ActivationBackwardOverwriteCore(kind, x, y, dy, dx, count);
            }
        }
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>Element-wise activation functions. Backward receives both the forward input x and output y: ReLU, tanh
    /// and sigmoid write their derivative through y, GELU and SiLU through x. Any other value is rejected by every
    /// backend.</summary>
    public enum ActivationKind
    {
        /// <summary>max(0, x); dx = dy where y &gt; 0.</summary>
        Relu,

        /// <summary>tanh(x); dx = dy * (1 - y^2).</summary>
        Tanh,

        /// <summary>1 / (1 + exp(-x)); dx = dy * y * (1 - y).</summary>
        Sigmoid,

        /// <summary>GELU, PyTorch's exact form (approximate='none'): x Φ(x) = x (1 + erf(x / √2)) / 2;
        /// dx = dy (Φ(x) + x φ(x)), φ the standard normal density.</summary>
        Gelu,

        /// <summary>SiLU (swish): x σ(x) with σ the logistic sigmoid; dx = dy σ(x) (1 + x (1 - σ(x))).</summary>
        Silu,
    }

    /// <summary>The one check every switch on <see cref="ActivationKind"/> shares: a value outside the enum (a cast
    /// integer, a newer kind a backend has not learned) is an error, never a silent fallback to another function.
    /// </summary>
    internal static class ActivationKinds
    {
        /// <summary>Throws unless <paramref name="kind"/> is a declared <see cref="ActivationKind"/>.</summary>
        public static void Check(ActivationKind kind, string paramName)
        {
            if (!Enum.IsDefined(kind))
            {
                throw Unknown(kind, paramName);
            }
        }

        /// <summary>The error for an activation kind a switch does not handle; thrown by its default arm.</summary>
        public static ArgumentOutOfRangeException Unknown(ActivationKind kind, string paramName) => new(paramName, kind,
            $"Unknown activation kind {(int)kind} ('{kind}'); expected one of " +
            $"{string.Join(", ", Enum.GetNames<ActivationKind>())}.");
    }

    /// <summary>The buffers of an element-wise activation: forward reads X and writes Y; backward reads X, Y and Dy
    /// and adds into Dx.</summary>
    internal unsafe struct ActivationOperands
    {
        public float* X;
        public float* Y;
        public float* Dy;
        public float* Dx;
    }

    /// <summary>Element-wise activations on the CPU.</summary>
    internal static unsafe class ActivationCpu
    {
        private const float InverseSqrtTwoPi = 0.398942280401432678f; // 1/√(2π), the normal density's scale

        public static void Forward(ChunkJob<ActivationOperands> job, ActivationKind kind, float* x, float* y, int count)
        {
            job.Operands = new ActivationOperands { X = x, Y = y };
            job.Launch(kind switch
            {
                ActivationKind.Relu => &Relu,
                ActivationKind.Tanh => &Tanh,
                ActivationKind.Sigmoid => &Sigmoid,
                ActivationKind.Gelu => &Gelu,
                ActivationKind.Silu => &Silu,
                _ => throw ActivationKinds.Unknown(kind, nameof(kind)),
            }, count);
        }

        public static void Backward(ChunkJob<ActivationOperands> job, ActivationKind kind, float* x, float* y,
            float* dy, float* dx, int count)
        {
            job.Operands = new ActivationOperands { X = x, Y = y, Dy = dy, Dx = dx };
            job.Launch(kind switch
            {
                ActivationKind.Relu => &ReluBackward,
                ActivationKind.Tanh => &TanhBackward,
                ActivationKind.Sigmoid => &SigmoidBackward,
                ActivationKind.Gelu => &GeluBackward,
                ActivationKind.Silu => &SiluBackward,
                _ => throw ActivationKinds.Unknown(kind, nameof(kind)),
            }, count);
        }

        // dx = dy where y > 0, else 0
        public static void ReluBackwardOverwrite(ChunkJob<ActivationOperands> job, float* y, float* dy, float* dx,
            int count)
        {
            job.Operands = new ActivationOperands { Y = y, Dy = dy, Dx = dx };
            job.Launch(&ReluBackwardWrite, count);
        }

        private static void Relu(ChunkJob<ActivationOperands> j, int start, int end) =>
            TensorPrimitives.Max(Input(j, start, end), 0f, Output(j, start, end));

        private static void Tanh(ChunkJob<ActivationOperands> j, int start, int end) =>
            TensorPrimitives.Tanh(Input(j, start, end), Output(j, start, end));

        private static void Sigmoid(ChunkJob<ActivationOperands> j, int start, int end) =>
            TensorPrimitives.Sigmoid(Input(j, start, end), Output(j, start, end));

        private static ReadOnlySpan<float> Input(ChunkJob<ActivationOperands> j, int start, int end) =>
            new(j.Operands.X + start, end - start);

        private static Span<float> Output(ChunkJob<ActivationOperands> j, int start, int end) =>
            new(j.Operands.Y + start, end - start);

        // dx += dy where y > 0
        private static void ReluBackward(ChunkJob<ActivationOperands> j, int start, int end)
        {
            float* y = j.Operands.Y, dy = j.Operands.Dy, dx = j.Operands.Dx;
            var i = start;
            for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
            {
                var mask = Vector256.GreaterThan(Vector256.Load(y + i), Vector256<float>.Zero);
                var add = Vector256.BitwiseAnd(Vector256.Load(dy + i), mask);
                Vector256.Store(Vector256.Load(dx + i) + add, dx + i);
            }

            for (; i < end; i++)
            {
                if (y[i] > 0f)
                {
                    dx[i] += dy[i];
                }
            }
        }

        // dx = dy where y > 0, else 0: the same mask as ReluBackward, stored instead of added.
        private static void ReluBackwardWrite(ChunkJob<ActivationOperands> j, int start, int end)
        {
            float* y = j.Operands.Y, dy = j.Operands.Dy, dx = j.Operands.Dx;
            var i = start;
            for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
            {
                var mask = Vector256.GreaterThan(Vector256.Load(y + i), Vector256<float>.Zero);
                Vector256.Store(Vector256.BitwiseAnd(Vector256.Load(dy + i), mask), dx + i);
            }

            for (; i < end; i++)
            {
                dx[i] = y[i] > 0f ? dy[i] : 0f;
            }
        }

        // dx += dy * (1 - y^2)
        private static void TanhBackward(ChunkJob<ActivationOperands> j, int start, int end)
        {
            float* y = j.Operands.Y, dy = j.Operands.Dy, dx = j.Operands.Dx;
            var i = start;
            for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
            {
                var v = Vector256.Load(y + i);
                var d = Vector256.Load(dy + i) * (Vector256<float>.One - v * v);
                Vector256.Store(Vector256.Load(dx + i) + d, dx + i);
            }

            for (; i < end; i++)
            {
                dx[i] += dy[i] * (1f - y[i] * y[i]);
            }
        }

        // dx += dy * y * (1 - y)
        private static void SigmoidBackward(ChunkJob<ActivationOperands> j, int start, int end)
        {
            float* y = j.Operands.Y, dy = j.Operands.Dy, dx = j.Operands.Dx;
            var i = start;
            for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
            {
                var v = Vector256.Load(y + i);
                var d = Vector256.Load(dy + i) * v * (Vector256<float>.One - v);
                Vector256.Store(Vector256.Load(dx + i) + d, dx + i);
            }

            for (; i < end; i++)
            {
                dx[i] += dy[i] * y[i] * (1f - y[i]);
            }
        }

        // y = x Φ(x)
        private static void Gelu(ChunkJob<ActivationOperands> j, int start, int end)
        {
            float* x = j.Operands.X, y = j.Operands.Y;
            var i = start;
            for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
            {
                var v = Vector256.Load(x + i);
                Vector256.Store(v * NormalCdf(v), y + i);
            }

            if (i < end)
            {
                var v = LoadPartial(x + i, end - i);
                StorePartial(v * NormalCdf(v), y + i, end - i);
            }
        }

        // dx += dy * (Φ(x) + x φ(x))
        private static void GeluBackward(ChunkJob<ActivationOperands> j, int start, int end)
        {
            float* x = j.Operands.X, dy = j.Operands.Dy, dx = j.Operands.Dx;
            var i = start;
            for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
            {
                var d = Vector256.Load(dy + i) * GeluDerivative(Vector256.Load(x + i));
                Vector256.Store(Vector256.Load(dx + i) + d, dx + i);
            }

            if (i < end)
            {
                var n = end - i;
                var d = LoadPartial(dy + i, n) * GeluDerivative(LoadPartial(x + i, n));
                StorePartial(LoadPartial(dx + i, n) + d, dx + i, n);
            }
        }

        // y = x σ(x)
        private static void Silu(ChunkJob<ActivationOperands> j, int start, int end)
        {
            var input = Input(j, start, end);
            var output = Output(j, start, end);
            TensorPrimitives.Sigmoid(input, output);
            TensorPrimitives.Multiply(input, output, output);
        }

        // dx += dy * σ(x) (1 + x (1 - σ(x)))
        private static void SiluBackward(ChunkJob<ActivationOperands> j, int start, int end)
        {
            float* x = j.Operands.X, dy = j.Operands.Dy, dx = j.Operands.Dx;
            var i = start;
            for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
            {
                var d = Vector256.Load(dy + i) * SiluDerivative(Vector256.Load(x + i));
                Vector256.Store(Vector256.Load(dx + i) + d, dx + i);
            }

            if (i < end)
            {
                var n = end - i;
                var d = LoadPartial(dy + i, n) * SiluDerivative(LoadPartial(x + i, n));
                StorePartial(LoadPartial(dx + i, n) + d, dx + i, n);
            }
        }

        private static Vector256<float> GeluDerivative(Vector256<float> x) =>
            NormalCdf(x) + x * Vector256.Exp(Vector256.Create(-0.5f) * x * x) * Vector256.Create(InverseSqrtTwoPi);

        private static Vector256<float> SiluDerivative(Vector256<float> x)
        {
            var one = Vector256<float>.One;
            var s = one / (one + Vector256.Exp(-x));
            return s * (one + x * (one - s));
        }

        /// <summary>
        /// Φ(x) = erfc(-x/√2) / 2, the standard normal distribution function, to about 1e-7 absolute (within 2 units in
        /// the last place of 1) and to a relative 1e-6 in the lower tail, where PyTorch's 1 + erf(x/√2) cancels.
        /// </summary>
        /// <remarks>
        /// .NET has no erf. With u = x/√2 and a = |u|: below a = 1, erf(u) = u P(u²), P of degree 6 (relative error
        /// 1.2e-9 in exact arithmetic); from a = 1, erfc(a) = t exp(R(t) - a²) with t = 1/(1 + a/2) and R of degree 8
        /// (error of R 3e-9), so the tail is relative and needs no cancelling 1 - erf. Both coefficient sets are
        /// weighted least-squares fits to erf on Chebyshev nodes, made for this kernel. Both branches run and the lanes
        /// pick one, which keeps the loop branch-free.
        /// </remarks>
        private static Vector256<float> NormalCdf(Vector256<float> x)
        {
            var half = Vector256.Create(0.5f);
            var one = Vector256<float>.One;
            var u = x * Vector256.Create(0.707106781186547524f);
            var a = Vector256.Abs(u);

            var s = u * u;
            var p = Vector256.Create(7.853839634e-05f);
            p = p * s + Vector256.Create(-8.010187303e-04f);
            p = p * s + Vector256.Create(5.188326817e-03f);
            p = p * s + Vector256.Create(-2.685381100e-02f);
            p = p * s + Vector256.Create(1.128358543e-01f);
            p = p * s + Vector256.Create(-3.761262596e-01f);
            p = p * s + Vector256.Create(1.128379107e+00f);
            var body = half + half * u * p;

            var t = one / (one + half * a);
            var r = Vector256.Create(-2.401984185e-01f);
            r = r * t + Vector256.Create(6.438826323e-01f);
            r = r * t + Vector256.Create(-4.496560991e-01f);
            r = r * t + Vector256.Create(-6.607359648e-02f);
            r = r * t + Vector256.Create(-7.284056395e-02f);
            r = r * t + Vector256.Create(7.166694105e-02f);
            r = r * t + Vector256.Create(3.778179288e-01f);
            r = r * t + Vector256.Create(9.996849895e-01f);
            r = r * t + Vector256.Create(-1.265498281e+00f);
            var lower = half * t * Vector256.Exp(r - a * a); // erfc(a) / 2 = Φ(-|x|)
            var tail = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), one - lower, lower);

            return Vector256.ConditionalSelect(Vector256.LessThan(a, one), body, tail);
        }

        // The last n < 8 elements as a vector (the other lanes zero), so that a tail runs the same code as the body.
        private static Vector256<float> LoadPartial(float* p, int n)
        {
            var lanes = stackalloc float[Vector256<float>.Count];
            new Span<float>(lanes, Vector256<float>.Count).Clear();
            new ReadOnlySpan<float>(p, n).CopyTo(new Span<float>(lanes, n));
            return Vector256.Load(lanes);
        }

        private static void StorePartial(Vector256<float> v, float* p, int n)
        {
            var lanes = stackalloc float[Vector256<float>.Count];
            Vector256.Store(v, lanes);
            new ReadOnlySpan<float>(lanes, n).CopyTo(new Span<float>(p, n));
        }
    }
}
