using System.Runtime.Intrinsics;
using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Kernels.Ops;

/// <summary>Inverted dropout on the CPU with the counter-based generator every backend shares.</summary>
internal static unsafe class DropoutCpu
{
    // x, mask, y:(count); S0 = p, S1 = 1/(1-p)
    public static void Forward(ChunkJob job, float* x, float* mask, float* y, int count, float p, ulong seed)
    {
        job.A = x;
        job.B = mask;
        job.C = y;
        job.S0 = p;
        job.S1 = 1f / (1f - p);
        job.Seed = seed;
        job.Launch(&ForwardChunk, count);
    }

    // dx += dy * mask
    public static void Backward(ChunkJob job, float* mask, float* dy, float* dx, int count)
    {
        job.A = mask;
        job.B = dy;
        job.C = dx;
        job.Launch(&BackwardChunk, count);
    }

    private static void ForwardChunk(ChunkJob j, int start, int end)
    {
        var i = start;
        var p = Vector256.Create(j.S0);
        var scale = Vector256.Create(j.S1);
        for (; i + 8 <= end; i += 8)
        {
            var keep = Vector256.GreaterThanOrEqual(CounterRandom.Uniform8(j.Seed, (uint)i), p);
            var mask = Vector256.BitwiseAnd(scale, keep);
            Vector256.Store(mask, j.B + i);
            Vector256.Store(mask * Vector256.Load(j.A + i), j.C + i);
        }

        for (; i < end; i++)
        {
            var keep = CounterRandom.Uniform(j.Seed, (uint)i) >= j.S0 ? j.S1 : 0f;
            j.B[i] = keep;
            j.C[i] = j.A[i] * keep;
        }
    }

    private static void BackwardChunk(ChunkJob j, int start, int end)
    {
        for (var i = start; i < end; i++)
        {
            j.C[i] += j.A[i] * j.B[i];
        }
    }
}
