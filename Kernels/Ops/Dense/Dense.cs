using System.Numerics.Tensors;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // The checked entry points of GEMM and the bias addition of dense and convolution layers
    // and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>
        /// C = alpha * op(A) * op(B) + beta * C, row-major, with op(A):(m,k), op(B):(k,n), C:(m,n). A transposed
        /// operand is stored as its transpose ((k,m) for A, (n,k) for B). beta = 0 overwrites C.
        /// </summary>
        public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b,
            float beta, DeviceBuffer c)
        {
            if (m < 0 || n < 0 || k < 0)
            {
                throw new ArgumentException($"GEMM sizes must not be negative: m={m} n={n} k={k}.");
            }

            CheckRange(a, 0, m * k, nameof(a));
            CheckRange(b, 0, k * n, nameof(b));
            CheckRange(c, 0, m * n, nameof(c));
            GemmCore(transA, transB, m, n, k, alpha, a, b, beta, c);
        }

        /// <summary>y[o, c, i] += bias[c] for y:(outer, channels, inner) — a dense layer has inner = 1.</summary>
        public void BiasAddForward(DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner)
        {
            CheckRange(y, 0, outer * channels * inner, nameof(y));
            CheckRange(bias, 0, channels, nameof(bias));
            BiasAddForwardCore(y, bias, outer, channels, inner);
        }

        /// <summary>db[c] += sum of dy[o, c, i] over o and i.</summary>
        public void BiasAddBackward(DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner)
        {
            CheckRange(dy, 0, outer * channels * inner, nameof(dy));
            CheckRange(db, 0, channels, nameof(db));
            BiasAddBackwardCore(dy, db, outer, channels, inner);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a,
            DeviceBuffer b, float beta, DeviceBuffer c);
        protected abstract void BiasAddForwardCore(
            DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner);
        protected abstract void BiasAddBackwardCore(
            DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner);
#pragma warning restore CS1591
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's GEMM and the bias addition of dense and convolution layers.
    public sealed unsafe partial class CpuAccelerator
    {
        // The GEMM engine's per-call state; one per accelerator so that a call allocates nothing.
        private readonly GemmJob gemm = new();

        /// <inheritdoc />
        protected override void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a,
            DeviceBuffer b, float beta, DeviceBuffer c) =>
            // Leading dimensions follow BLAS: at least 1 even when a matrix is empty.
            CpuGemm.Sgemm(transA, transB, m, n, k, alpha, Ptr(a), Math.Max(1, transA ? m : k), Ptr(b),
                Math.Max(1, transB ? k : n), beta, Ptr(c), Math.Max(1, n), workers, gemm);

        /// <inheritdoc />
        protected override void BiasAddForwardCore(
            DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner) =>
            BiasCpu.Forward(Ptr(y), Ptr(bias), outer, channels, inner);

        /// <inheritdoc />
        protected override void BiasAddBackwardCore(
            DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner) =>
            BiasCpu.Backward(Ptr(dy), Ptr(db), outer, channels, inner);
    }
}

namespace GpuCnn.Kernels.Ops
{
    /// <summary>Bias addition over y:(outer, channels, inner) on the CPU.</summary>
    internal static unsafe class BiasCpu
    {
        public static void Forward(float* y, float* bias, int outer, int channels, int inner)
        {
            for (var o = 0; o < outer; o++)
            {
                var row = y + (long)o * channels * inner;
                if (inner == 1)
                {
                    var span = new Span<float>(row, channels);
                    TensorPrimitives.Add(span, new ReadOnlySpan<float>(bias, channels), span);
                    continue;
                }

                for (var c = 0; c < channels; c++)
                {
                    var span = new Span<float>(row + (long)c * inner, inner);
                    TensorPrimitives.Add(span, bias[c], span);
                }
            }
        }

        public static void Backward(float* dy, float* db, int outer, int channels, int inner)
        {
            for (var o = 0; o < outer; o++)
            {
                var row = dy + (long)o * channels * inner;
                if (inner == 1)
                {
                    var span = new Span<float>(db, channels);
                    TensorPrimitives.Add(span, new ReadOnlySpan<float>(row, channels), span);
                    continue;
                }

                for (var c = 0; c < channels; c++)
                {
                    db[c] += TensorPrimitives.Sum(new ReadOnlySpan<float>(row + (long)c * inner, inner));
                }
            }
        }
    }
}
