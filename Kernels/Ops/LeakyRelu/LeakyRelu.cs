using System.Runtime.Intrinsics;

namespace GpuCnn.Kernels.Cpu;

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
            Vector256.Store(Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * slope),
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
            Vector256.Store(Vector256.Load(o.Dx + i) + Vector256.ConditionalSelect(positive, g, g * slope), o.Dx + i);
        }

        for (; i < end; i++)
        {
            var g = o.Dy[i];
            o.Dx[i] += o.X[i] > 0f ? g : g * o.NegativeSlope;
        }
    }
}
