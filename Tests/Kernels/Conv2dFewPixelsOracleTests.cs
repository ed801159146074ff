using System.Runtime.Intrinsics.X86;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Cpu.Direct;
using GpuCnn.Kernels.Cpu.Winograd;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;
using static GpuCnn.Tests.Kernels.FusedConvolutionChecks;

namespace GpuCnn.Tests.Kernels;

/// <summary>
/// The CPU's convolution for few output pixels (<see cref="Conv2dFewPixels"/>) and the fused evaluation-mode
/// convolution + batch norm + ReLU against the double-precision oracle, on shapes that break both of its tiles (6
/// channels x 4 pixels of dot products at most 4 pixels, 16 channels x a 16-pixel vector above) and the 16-lane
/// vectors: tap counts that are not multiples of 16 or of the panel's 256-tap chunks, channel counts that are not
/// multiples of 6 or 16, maps of 1x1 to 4x4 and 2x3, batch 1 to 3, stride 2, padding 0, 1 and asymmetric, dilation.
/// Each output is a sum of C*R*S products plus the bias, so it lies within
/// (C*R*S + 1) * 2^-24 * (sum |x||w| + |b|) of the exact value (the classic bound of a float sum).
/// </summary>
public sealed unsafe class Conv2dFewPixelsOracleTests
{
    private const double Unit = 1.0 / (1 << 24);

    public static TheoryData<Conv2dGeometry> Shapes
    {
        get
        {
            var data = new TheoryData<Conv2dGeometry>();
            foreach (var g in FewPixelShapes)
            {
                data.Add(g);
            }

            return data;
        }
    }

    private static readonly Conv2dGeometry[] FewPixelShapes =
    [
        new Conv2dGeometry(1, 67, 3, 3, 29, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(3, 59, 2, 2, 13, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(1, 64, 4, 4, 71, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(1, 63, 7, 8, 7, 3, 3, StrideH: 2, StrideW: 2, PadTop: 0, PadLeft: 1, PadBottom: 1,
            PadRight: 0),
        new Conv2dGeometry(3, 519, 1, 1, 9, 1, 1),
        new Conv2dGeometry(1, 61, 5, 5, 6, 3, 3, PadTop: 1, PadLeft: 2, PadBottom: 0, PadRight: 1, DilationH: 2,
            DilationW: 2),
        new Conv2dGeometry(1, 512, 2, 2, 40, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        // A 1x1 map, 2x3, 4x4 without padding and from stride 2, two images of 2x2, a 1x1 kernel on 4 pixels, and 16
        // channels of 900 taps (three whole chunks of the panel and a partial one).
        new Conv2dGeometry(1, 600, 1, 1, 17, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(1, 70, 2, 3, 33, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(1, 64, 6, 6, 19, 3, 3),
        new Conv2dGeometry(1, 72, 8, 8, 35, 3, 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1,
            PadRight: 1),
        new Conv2dGeometry(2, 80, 2, 2, 21, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(1, 515, 2, 2, 7, 1, 1),
        new Conv2dGeometry(1, 100, 4, 4, 16, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardMatchesTheOracleWithinTheBound(Conv2dGeometry g)
    {
        if (!Avx512F.IsSupported)
        {
            return; // the kernel is AVX-512 only
        }

        Assert.True(Conv2dFewPixels.Fits(g), $"{g} should run on the few-pixel kernel");
        var (x, w, b) = (RandomTensors.Uniform(g.InputLength, 1), RandomTensors.Uniform(g.WeightLength, 2),
            RandomTensors.Uniform(g.K, 3));
        var y = Forward(g, x, w, b, threads: 2);

        var exact = ReferenceOps.Conv2dForward(g, x.ToDouble(), w.ToDouble(), b.ToDouble());
        var magnitude = ReferenceOps.Conv2dForward(g, Abs(x), Abs(w), Abs(b));
        AssertWithin(exact, y, magnitude, g.CPerGroup * g.R * g.S + 1);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardIsTheSameForOneThreadAndTwo(Conv2dGeometry g)
    {
        if (!Avx512F.IsSupported)
        {
            return;
        }

        var (x, w) = (RandomTensors.Uniform(g.InputLength, 4), RandomTensors.Uniform(g.WeightLength, 5));
        Assert.Equal(Forward(g, x, w, null, threads: 1), Forward(g, x, w, null, threads: 2));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardIsTheSameForOneThreadAndThree(Conv2dGeometry g)
    {
        if (!Avx512F.IsSupported)
        {
            return;
        }

        var (x, w, b) = (RandomTensors.Uniform(g.InputLength, 16), RandomTensors.Uniform(g.WeightLength, 17),
            RandomTensors.Uniform(g.K, 18));
        var single = Forward(g, x, w, b, threads: 1);
        Assert.DoesNotContain(single, float.IsNaN);
        Assert.Equal(single, Forward(g, x, w, b, threads: 3));
    }

    [Fact]
    public void OnlyZeroTurnsTheKernelOff()
    {
        Assert.False(Conv2dFewPixels.EnabledBy("0"));
        Assert.True(Conv2dFewPixels.EnabledBy(null));
        Assert.True(Conv2dFewPixels.EnabledBy("1"));
    }

    [Fact]
    public void BothTilesAreChosenByThePixelCount()
    {
        // The panel above PanelMinColumns pixels, the dot-product tile at or below: the shapes above cover both.
        Assert.Contains(FewPixelShapes, g => PixelCount(g) > Conv2dFewPixels.PanelMinColumns);
        Assert.Contains(FewPixelShapes, g => PixelCount(g) <= Conv2dFewPixels.PanelMinColumns);
    }

    // One geometry per algorithm the CPU can pick: few pixels, small map, im2col, Winograd, direct.
    public static TheoryData<Conv2dGeometry> Algorithms => new()
    {
        new Conv2dGeometry(1, 64, 4, 4, 71, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        SmallMapShape,
        Im2colShape,
        new Conv2dGeometry(3, 17, 17, 17, 23, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(3, 3, 12, 17, 21, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(1, 30, 8, 8, 33, 1, 1),
        // Few pixels again: the dot-product tile of 2x2 maps, and the panel over three images.
        new Conv2dGeometry(1, 512, 2, 2, 40, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new Conv2dGeometry(3, 59, 2, 2, 13, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
    };

    // The same layer on three images takes the small-map kernel and on five images im2col + GEMM.
    private static readonly Conv2dGeometry SmallMapShape = new(3, 19, 9, 11, 37, 3, 3, StrideH: 2, StrideW: 2,
        PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);

    private static readonly Conv2dGeometry Im2colShape = SmallMapShape with { N = 5 };

    [Fact]
    public void TheSmallMapAndIm2colShapesTakeThoseKernels()
    {
        if (!Avx512F.IsSupported)
        {
            return; // Without AVX-512 neither direct kernel runs and both shapes go to im2col.
        }

        Assert.True(Conv2dSmallMap.Fits(SmallMapShape));
        foreach (var g in new[] { SmallMapShape, Im2colShape })
        {
            Assert.False(WinogradConv.SuitsForward(g));
            Assert.False(Conv2dFewPixels.Fits(g));
            Assert.False(Conv2dDirect.Fits(g));
        }

        Assert.False(Conv2dSmallMap.Fits(Im2colShape));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void FusedBatchNormAndReluWriteBitwiseWhatTheSeparateKernelsWrite(Conv2dGeometry g) =>
        FusedConvolutionChecks.AssertFusedWritesWhatTheSeparateKernelsWrite(g, seed: 6);

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void FusedConvolutionMatchesTheOracleWithinTheBound(Conv2dGeometry g) =>
        FusedConvolutionChecks.AssertFusedMatchesTheOracle(g, seed: 10);

    [Fact]
    public void AWarmFusedForwardAllocatesNothing() =>
        AssertWarmForwardAllocatesNothing(
            new Conv2dGeometry(1, 64, 4, 4, 71, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1));

    [Fact]
    public void AWarmFusedForwardOfTwoByTwoAllocatesNothing() =>
        AssertWarmForwardAllocatesNothing(
            new Conv2dGeometry(1, 512, 2, 2, 40, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1));

    private static int PixelCount(in Conv2dGeometry g) => g.N * g.P * g.Q;

    private static void AssertWarmForwardAllocatesNothing(Conv2dGeometry g)
    {
        Assert.True(!Avx512F.IsSupported || Conv2dFewPixels.Fits(g), $"{g} should run on the few-pixel kernel");
        FusedConvolutionChecks.AssertWarmFusedForwardAllocatesNothing(g, seed: 13);
    }

    private static float[] Forward(in Conv2dGeometry g, float[] x, float[] w, float[]? b, int threads)
    {
        var y = new float[g.OutputLength];
        Array.Fill(y, float.NaN);
        using var workers = new CpuWorkers(threads);
        var conv = new Conv2dFewPixels(workers, new CpuScratch(threads));
        fixed (float* px = x, pw = w, pb = b, py = y)
        {
            conv.Forward(g, px, pw, py, ConvEpilogue.BiasOnly(pb));
        }

        return y;
    }

    private static void AssertWithin(double[] exact, float[] actual, double[] magnitude, int terms)
    {
        Assert.Equal(exact.Length, actual.Length);
        for (var i = 0; i < exact.Length; i++)
        {
            var bound = terms * Unit * magnitude[i];
            Assert.True(Math.Abs(actual[i] - exact[i]) <= bound,
                $"output {i}: {actual[i]} against {exact[i]}, bound {bound}");
        }
    }
}
