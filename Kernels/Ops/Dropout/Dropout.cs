using System.Runtime.Intrinsics;
using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Kernels.Ops;

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
        for (var i = start; i < end; i++)
        {
            o.Dx[i] += o.Mask[i] * o.Dy[i];
        }
    }
}
