using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>
/// The checks every CPU convolution kernel with a fused evaluation-mode epilogue (batch norm, optionally ReLU) must
/// pass, whichever kernel the geometry selects: bitwise equality with the separate kernels, the double-precision
/// oracle within the float bound, and no allocation once warm. Each takes a first seed and draws its tensors from
/// the seeds that follow it.
/// </summary>
internal static class FusedConvolutionChecks
{
    private const double Unit = 1.0 / (1 << 24);

    /// <summary>Convolution, batch norm and ReLU run as one call write exactly what the three kernels write.</summary>
    public static void AssertFusedWritesWhatTheSeparateKernelsWrite(in Conv2dGeometry g, int seed)
    {
        using var acc = new CpuAccelerator(2);
        var (x, w, b) = (Upload(acc, RandomTensors.Uniform(g.InputLength, seed)),
            Upload(acc, RandomTensors.Uniform(g.WeightLength, seed + 1)),
            Upload(acc, RandomTensors.Uniform(g.K, seed + 2)));
        var norm = Norm(acc, g.K, seed + 3);
        var separate = acc.Allocate(g.OutputLength);
        acc.Conv2dForward(g, x, w, b, separate);
        acc.BatchNormForwardInference(new BatchNormGeometry(g.N, g.K, g.P * g.Q), separate, norm.Gamma, norm.Beta,
            norm.RunningMean, norm.RunningVar, norm.Eps, separate);
        acc.ActivationForward(ActivationKind.Relu, separate, separate, g.OutputLength);

        var fused = acc.Allocate(g.OutputLength);
        acc.Fill(fused, float.NaN);
        acc.Conv2dForwardNormalized(g, x, w, b, norm, relu: true, fused);

        var expected = separate.ToArray();
        Assert.Contains(expected, v => v > 0f);
        Assert.Contains(expected, v => v == 0f);
        Assert.Equal(expected, fused.ToArray());
    }

    /// <summary>The fused convolution and batch norm lie within the float bound of the exact value.</summary>
    public static void AssertFusedMatchesTheOracle(in Conv2dGeometry g, int seed)
    {
        using var acc = new CpuAccelerator(2);
        var (hx, hw) = (RandomTensors.Uniform(g.InputLength, seed), RandomTensors.Uniform(g.WeightLength, seed + 1));
        var norm = Norm(acc, g.K, seed + 2);
        var y = acc.Allocate(g.OutputLength);
        acc.Conv2dForwardNormalized(g, Upload(acc, hx), Upload(acc, hw), null, norm, relu: false, y);

        var (gamma, beta) = (norm.Gamma!.ToArray(), norm.Beta!.ToArray());
        var (mean, variance) = (norm.RunningMean.ToArray(), norm.RunningVar.ToArray());
        var conv = ReferenceOps.Conv2dForward(g, hx.ToDouble(), hw.ToDouble(), null);
        var magnitude = ReferenceOps.Conv2dForward(g, Abs(hx), Abs(hw), null);
        var actual = y.ToArray();
        var pq = g.P * g.Q;
        for (var i = 0; i < actual.Length; i++)
        {
            var k = i / pq % g.K;
            var scale = gamma[k] / Math.Sqrt(variance[k] + norm.Eps);
            var exact = (conv[i] - mean[k]) * scale + beta[k];
            // The convolution's bound carried through the scale, plus a few roundings of the affine step.
            var bound = (g.CPerGroup * g.R * g.S + 4) * Unit *
                ((magnitude[i] + Math.Abs(mean[k])) * Math.Abs(scale) + Math.Abs(beta[k]) + Math.Abs(exact));
            Assert.True(Math.Abs(actual[i] - exact) <= bound,
                $"{g}: output {i} is {actual[i]}, exact {exact}, bound {bound}");
        }
    }

    /// <summary>Once warm, the fused convolution allocates no managed memory.</summary>
    public static void AssertWarmFusedForwardAllocatesNothing(in Conv2dGeometry g, int seed)
    {
        using var acc = new CpuAccelerator(2);
        var (x, w) = (Upload(acc, RandomTensors.Uniform(g.InputLength, seed)),
            Upload(acc, RandomTensors.Uniform(g.WeightLength, seed + 1)));
        var norm = Norm(acc, g.K, seed + 2);
        var y = acc.Allocate(g.OutputLength);
        acc.Conv2dForwardNormalized(g, x, w, null, norm, relu: true, y);
        var windows = new long[4];
        for (var window = 0; window < windows.Length; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 5; i++)
            {
                acc.Conv2dForwardNormalized(g, x, w, null, norm, relu: true, y);
            }

            windows[window] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        // The best of a few windows: the runtime itself may allocate now and then (tiered compilation).
        Assert.True(windows.Min() == 0, $"bytes per window of five calls: {string.Join(", ", windows)}");
    }

    /// <summary>|v| of each value, in double precision, for the oracle's magnitude term.</summary>
    public static double[] Abs(float[] values) => Array.ConvertAll(values, v => (double)Math.Abs(v));

    private static InferenceBatchNorm Norm(CpuAccelerator acc, int channels, int seed)
    {
        var variance = RandomTensors.Uniform(channels, seed + 3, 0.25f, 2f);
        return new InferenceBatchNorm(Upload(acc, RandomTensors.Uniform(channels, seed, 0.5f, 1.5f)),
            Upload(acc, RandomTensors.Uniform(channels, seed + 1, -0.5f, 0.5f)),
            Upload(acc, RandomTensors.Uniform(channels, seed + 2, -0.5f, 0.5f)), Upload(acc, variance), 1e-5f);
    }

    private static DeviceBuffer Upload(CpuAccelerator acc, float[] values)
    {
        var buffer = acc.Allocate(values.Length);
        acc.CopyFromHost(values, buffer);
        return buffer;
    }
}
