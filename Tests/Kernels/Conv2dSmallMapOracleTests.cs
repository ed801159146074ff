using System.Runtime.Intrinsics.X86;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Cpu.Direct;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;
using static GpuCnn.Tests.Kernels.FusedConvolutionChecks;

namespace GpuCnn.Tests.Kernels;

/// <summary>
/// The CPU's convolution for small output maps of a few images (<see cref="Conv2dSmallMap"/>) against the
/// double-precision oracle, on shapes that break its 6-channel x 4-vector tile and its 16-lane vectors: 8x8, 16x16,
/// 7x9 and 15x13 inputs, channel counts that are not multiples of 16 or 6, batch 1 and 3 (an image's pixels not a
/// whole number of vectors), stride 1, 2 and 3, padding 0, 1 and asymmetric, 1x1 kernels, dilation and rows wider
/// than a vector. Each output is one chain of C*R*S fused multiply-adds plus the bias, so it lies within
/// (C*R*S + 1) * 2^-24 * (sum |x||w| + |b|) of the exact value (the classic bound of a float sum).
/// </summary>
public sealed unsafe class Conv2dSmallMapOracleTests
{
    private const double Unit = 1.0 / (1 << 24);

    public static TheoryData<Conv2dGeometry> Shapes => new()
    {
        new Conv2dGeometry(1, 67, 8, 8, 29, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(3, 37, 16, 16, 22, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(1, 45, 7, 9, 19, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(3, 23, 15, 13, 13, 3, 3),
        new Conv2dGeometry(1, 33, 16, 16, 17, 3, 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1,
            PadRight: 1),
        new Conv2dGeometry(3, 29, 15, 13, 11, 3, 3, StrideH: 2, StrideW: 2, PadTop: 0, PadLeft: 1, PadBottom: 1,
            PadRight: 0),
        new Conv2dGeometry(1, 71, 16, 16, 30, 1, 1, StrideH: 2, StrideW: 2),
        new Conv2dGeometry(3, 130, 8, 8, 7, 1, 1),
        new Conv2dGeometry(1, 40, 9, 9, 9, 3, 3, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2, DilationH: 2,
            DilationW: 2),
        new Conv2dGeometry(1, 30, 16, 16, 7, 3, 3, StrideH: 3, StrideW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1,
            PadRight: 1),
        new Conv2dGeometry(1, 9, 20, 21, 6, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardMatchesTheOracleWithinTheBound(Conv2dGeometry g)
    {
        if (!Avx512F.IsSupported)
        {
            return; // the kernel is AVX-512 only
        }

        Assert.True(Conv2dSmallMap.Fits(g), $"{g} should run on the small-map kernel");
        var (x, w, b) = (RandomTensors.Uniform(g.InputLength, 1), RandomTensors.Uniform(g.WeightLength, 2),
            RandomTensors.Uniform(g.K, 3));
        var y = Forward(g, x, w, b, threads: 2);

        var exact = ReferenceOps.Conv2dForward(g, x.ToDouble(), w.ToDouble(), b.ToDouble());
        var magnitude = ReferenceOps.Conv2dForward(g, Abs(x), Abs(w), Abs(b));
        Assert.Equal(exact.Length, y.Length);
        var terms = g.CPerGroup * g.R * g.S + 1;
        for (var i = 0; i < exact.Length; i++)
        {
            var bound = terms * Unit * magnitude[i];
            Assert.True(Math.Abs(y[i] - exact[i]) <= bound, $"{g}: output {i} is {y[i]}, exact {exact[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardIsTheSameForOneTwoAndThreeThreads(Conv2dGeometry g)
    {
        if (!Avx512F.IsSupported)
        {
            return;
        }

        var (x, w, b) = (RandomTensors.Uniform(g.InputLength, 4), RandomTensors.Uniform(g.WeightLength, 5),
            RandomTensors.Uniform(g.K, 6));
        var one = Forward(g, x, w, b, threads: 1);
        Assert.DoesNotContain(one, float.IsNaN);
        Assert.Equal(one, Forward(g, x, w, b, threads: 2));
        Assert.Equal(one, Forward(g, x, w, b, threads: 3));
    }

    // ResNet-18's and VGG-16's batch-1 layers on 32x32 images that the accelerator now sends here.
    public static TheoryData<Conv2dGeometry> NetworkLayers => new()
    {
        new Conv2dGeometry(1, 128, 16, 16, 128, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(1, 64, 32, 32, 128, 3, 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1,
            PadRight: 1),
        new Conv2dGeometry(1, 64, 32, 32, 128, 1, 1, StrideH: 2, StrideW: 2),
        new Conv2dGeometry(1, 256, 8, 8, 256, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(1, 128, 8, 8, 256, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
    };

    [Theory]
    [MemberData(nameof(NetworkLayers))]
    public void FusedBatchNormAndReluWriteBitwiseWhatTheSeparateKernelsWrite(Conv2dGeometry g)
    {
        if (!Avx512F.IsSupported)
        {
            return;
        }

        Assert.True(Conv2dSmallMap.Fits(g), $"{g} should run on the small-map kernel");
        FusedConvolutionChecks.AssertFusedWritesWhatTheSeparateKernelsWrite(g, seed: 7);
    }

    [Fact]
    public void FusedConvolutionMatchesTheOracleWithinTheBound() =>
        FusedConvolutionChecks.AssertFusedMatchesTheOracle(
            new Conv2dGeometry(3, 37, 7, 9, 23, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), seed: 11);

    [Fact]
    public void AWarmFusedForwardAllocatesNothing() =>
        FusedConvolutionChecks.AssertWarmFusedForwardAllocatesNothing(
            new Conv2dGeometry(1, 67, 8, 8, 29, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), seed: 14);

    private static float[] Forward(in Conv2dGeometry g, float[] x, float[] w, float[]? b, int threads)
    {
        var y = new float[g.OutputLength];
        Array.Fill(y, float.NaN);
        using var workers = new CpuWorkers(threads);
        var conv = new Conv2dSmallMap(workers, new CpuScratch(threads));
        fixed (float* px = x, pw = w, pb = b, py = y)
        {
            conv.Forward(g, px, pw, py, ConvEpilogue.BiasOnly(pb));
        }

        return y;
    }

}
