using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Kernels.Ops;

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
    public static void Forward(ChunkJob<ActivationOperands> job, ActivationKind kind, float* x, float* y, int count)
    {
        job.Operands = new ActivationOperands { X = x, Y = y };
        job.Launch(kind switch
        {
            ActivationKind.Relu => &Relu,
            ActivationKind.Tanh => &Tanh,
            ActivationKind.Sigmoid => &Sigmoid,
            _ => throw ActivationKinds.Unknown(kind, nameof(kind)),
        }, count);
    }

    public static void Backward(ChunkJob<ActivationOperands> job, ActivationKind kind, float* x, float* y, float* dy,
        float* dx, int count)
    {
        job.Operands = new ActivationOperands { X = x, Y = y, Dy = dy, Dx = dx };
        job.Launch(kind switch
        {
            ActivationKind.Relu => &ReluBackward,
            ActivationKind.Tanh => &TanhBackward,
            ActivationKind.Sigmoid => &SigmoidBackward,
            _ => throw ActivationKinds.Unknown(kind, nameof(kind)),
        }, count);
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
}
