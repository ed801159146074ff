using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Kernels.Ops;

/// <summary>Element-wise activations on the CPU. Chunk bodies: job.A = x (forward) or y (backward), job.B = dy,
/// job.C = output, job.D = x (backward).</summary>
internal static unsafe class ActivationCpu
{
    public static void Forward(ChunkJob job, ActivationKind kind, float* x, float* y, int count)
    {
        job.A = x;
        job.C = y;
        job.Launch(kind switch
        {
            ActivationKind.Relu => &Relu,
            ActivationKind.Tanh => &Tanh,
            ActivationKind.Sigmoid => &Sigmoid,
            _ => throw ActivationKinds.Unknown(kind, nameof(kind)),
        }, count);
    }

    public static void Backward(ChunkJob job, ActivationKind kind, float* x, float* y, float* dy, float* dx, int count)
    {
        job.D = x;
        job.A = y;
        job.B = dy;
        job.C = dx;
        job.Launch(kind switch
        {
            ActivationKind.Relu => &ReluBackward,
            ActivationKind.Tanh => &TanhBackward,
            ActivationKind.Sigmoid => &SigmoidBackward,
            _ => throw ActivationKinds.Unknown(kind, nameof(kind)),
        }, count);
    }

    private static void Relu(ChunkJob j, int start, int end) =>
        TensorPrimitives.Max(new ReadOnlySpan<float>(j.A + start, end - start), 0f, new Span<float>(j.C + start, end - start));

    private static void Tanh(ChunkJob j, int start, int end) =>
        TensorPrimitives.Tanh(new ReadOnlySpan<float>(j.A + start, end - start), new Span<float>(j.C + start, end - start));

    private static void Sigmoid(ChunkJob j, int start, int end) =>
        TensorPrimitives.Sigmoid(new ReadOnlySpan<float>(j.A + start, end - start), new Span<float>(j.C + start, end - start));

    // dx += dy where y > 0
    private static void ReluBackward(ChunkJob j, int start, int end)
    {
        float* y = j.A, dy = j.B, dx = j.C;
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

    // dx += dy * (1 - y^2)
    private static void TanhBackward(ChunkJob j, int start, int end)
    {
        float* y = j.A, dy = j.B, dx = j.C;
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
    private static void SigmoidBackward(ChunkJob j, int start, int end)
    {
        float* y = j.A, dy = j.B, dx = j.C;
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
}
