using System.Runtime.Intrinsics.X86;
using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Cpu.Winograd;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>
/// The CPU's Winograd F(4x4, 3x3) convolution against the double-precision oracle, called directly (so the checks
/// hold whatever GPUCNN_WINOGRAD says) on shapes that break its tiling: odd sizes and sizes that are not multiples of
/// 4, padding 0, 1 and 2 on each side, channel counts that are not multiples of 16, one image and three.
/// </summary>
/// <remarks>
/// The error bound. Every product x*w reaches an output through the transforms with weight at most
/// beta = (max over a, r, i of sum_xi |A^T[a,xi]| |G[xi,r]| |B^T[xi,i]|)^2 = (32/3)^2 = 113.8 (the 1-d maximum is
/// 32/3), and about C + 20 roundings lie on its way (transforms, the GEMM's sum over C, the output transform). So
/// |y - exact| &lt;= (C + 20) * beta * u * S with u = 2^-24 and S = sum |x||w| over the output's taps: the worst case.
/// Measured on these shapes the error stays below 64 * u * S (56 at most; the direct sum's worst case is C * u * S),
/// which is what the tests assert, with the worst-case bound asserted beside it.
/// </remarks>
public sealed unsafe class WinogradOracleTests
{
    private const double Unit = 1.0 / (1 << 24);
    private const double Beta = 1024.0 / 9;
    private const double Measured = 64;
    private const double MeasuredFilter = 64;

    public static TheoryData<int, int, int, int, int, int, int, int, int> Shapes => new()
    {
        // N, C, H, W, K, top, left, bottom, right
        { 1, 19, 9, 13, 23, 1, 1, 1, 1 },
        { 3, 17, 11, 7, 9, 0, 0, 0, 0 },
        { 3, 8, 5, 6, 33, 2, 2, 2, 2 },
        { 1, 40, 17, 15, 8, 2, 0, 1, 2 },
        { 3, 24, 4, 4, 31, 1, 1, 1, 1 },
        { 1, 9, 3, 10, 12, 1, 2, 0, 1 },
        { 3, 64, 8, 8, 64, 1, 1, 1, 1 },
        { 1, 12, 33, 34, 16, 1, 1, 1, 1 },
        // Many input channels: the forward pass takes the three team-wide phases, the backward data pass the fused
        // per-block pipeline; then the other way round.
        { 3, 150, 7, 6, 20, 1, 1, 1, 1 },
        { 2, 20, 9, 5, 150, 1, 0, 2, 1 },
        // 4x4 and 8x8 maps padded by 1 (one or four tiles per image, 16 images per vector), through both paths;
        // 17 images leave a group of one.
        { 3, 150, 4, 4, 20, 1, 1, 1, 1 },
        { 17, 20, 4, 4, 150, 1, 1, 1, 1 },
        { 17, 150, 8, 8, 20, 1, 1, 1, 1 },
        { 2, 20, 8, 8, 150, 1, 1, 1, 1 },
        // Maps wider than 128: a tile row holds more than the fused pipeline's 32 tiles.
        { 1, 9, 3, 133, 10, 1, 1, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardMatchesTheOracleWithinTheBound(int n, int c, int h, int w, int k, int top, int left,
        int bottom, int right)
    {
        if (!Avx512F.IsSupported)
        {
            return; // the path is AVX-512 only; elsewhere convolutions take im2col
        }

        var g = Geometry(n, c, h, w, k, top, left, bottom, right);
        var (x, weight, bias) = (RandomTensors.Uniform(g.InputLength, 1), RandomTensors.Uniform(g.WeightLength, 2),
            RandomTensors.Uniform(g.K, 3));
        var y = Forward(g, x, weight, bias, threads: 2);

        var exact = ReferenceOps.Conv2dForward(g, x.ToDouble(), weight.ToDouble(), bias.ToDouble());
        var magnitude = ReferenceOps.Conv2dForward(g, Abs(x), Abs(weight), null);
        var biasAt = Enumerable.Range(0, g.OutputLength).Select(i => (double)Math.Abs(bias[i / (g.P * g.Q) % g.K]));
        AssertWithin(exact, y, magnitude, biasAt.ToArray(), g.C, "forward");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardDataMatchesTheOracleWithinTheBound(int n, int c, int h, int w, int k, int top, int left,
        int bottom, int right)
    {
        if (!Avx512F.IsSupported)
        {
            return;
        }

        var g = Geometry(n, c, h, w, k, top, left, bottom, right);
        var (dy, weight, before) = (RandomTensors.Uniform(g.OutputLength, 4),
            RandomTensors.Uniform(g.WeightLength, 5), RandomTensors.Uniform(g.InputLength, 6));
        var dx = BackwardData(g, dy, weight, before, threads: 2);

        var exact = Expected.Add(before, ReferenceOps.Conv2dBackwardData(g, dy.ToDouble(), weight.ToDouble()));
        var magnitude = ReferenceOps.Conv2dBackwardData(g, Abs(dy), Abs(weight));
        AssertWithin(exact, dx, magnitude, Abs(before), g.K, "backward data");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardFilterMatchesTheOracleWithinTheBound(int n, int c, int h, int w, int k, int top, int left,
        int bottom, int right)
    {
        if (!Avx512F.IsSupported)
        {
            return;
        }

        var g = Geometry(n, c, h, w, k, top, left, bottom, right);
        var (x, dy) = (RandomTensors.Uniform(g.InputLength, 10), RandomTensors.Uniform(g.OutputLength, 11));
        var (dwBefore, dbBefore) = (RandomTensors.Uniform(g.WeightLength, 12), RandomTensors.Uniform(g.K, 13));
        var (dw, db) = BackwardFilter(g, x, dy, dwBefore, dbBefore, threads: 2);

        var (exactDw, exactDb) = ReferenceOps.Conv2dBackwardFilter(g, x.ToDouble(), dy.ToDouble());
        var (magnitudeDw, magnitudeDb) = ReferenceOps.Conv2dBackwardFilter(g, Abs(x), Abs(dy));

        // The sum runs over N * P * Q products per weight, not over C as in the other two directions.
        var length = g.N * g.P * g.Q;
        AssertWithin(Expected.Add(dwBefore, exactDw), dw, magnitudeDw, Abs(dwBefore), length, "weight gradient",
            MeasuredFilter);
        var magnitudeBias = Expected.Add(dbBefore.Select(Math.Abs).ToArray(), magnitudeDb);
        for (var i = 0; i < g.K; i++)
        {
            Assert.True(Math.Abs(db[i] - exactDb[i] - dbBefore[i]) <= length * Unit * magnitudeBias[i],
                $"db[{i}] off by more than N*P*Q*u*sum|dy|");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ResultsAreBitwiseTheSameForAnyThreadCountAndRun(int n, int c, int h, int w, int k, int top,
        int left, int bottom, int right)
    {
        if (!Avx512F.IsSupported)
        {
            return;
        }

        var g = Geometry(n, c, h, w, k, top, left, bottom, right);
        var (x, weight, dy) = (RandomTensors.Uniform(g.InputLength, 7), RandomTensors.Uniform(g.WeightLength, 8),
            RandomTensors.Uniform(g.OutputLength, 9));
        var zeros = new float[g.InputLength];
        var one = Forward(g, x, weight, null, threads: 1);
        Assert.Equal(one, Forward(g, x, weight, null, threads: 2));
        Assert.Equal(one, Forward(g, x, weight, null, threads: 3));
        var dxOne = BackwardData(g, dy, weight, zeros, threads: 1);
        Assert.Equal(dxOne, BackwardData(g, dy, weight, zeros, threads: 2));
        Assert.Equal(dxOne, BackwardData(g, dy, weight, zeros, threads: 2));
        var (dwOne, dbOne) = BackwardFilter(g, x, dy, new float[g.WeightLength], new float[g.K], threads: 1);
        var (dwTwo, dbTwo) = BackwardFilter(g, x, dy, new float[g.WeightLength], new float[g.K], threads: 2);
        Assert.Equal(dwOne, dwTwo);
        Assert.Equal(dbOne, dbTwo);
    }

    [Fact]
    public void TakesOnlyThreeByThreeStrideOneUngroupedShapesThatPay()
    {
        Assert.False(WinogradConv.SuitsForward(new Conv2dGeometry(2, 16, 8, 8, 16, 3, 3, StrideH: 2, StrideW: 2)));
        Assert.False(WinogradConv.SuitsForward(new Conv2dGeometry(2, 16, 8, 8, 16, 3, 3, DilationH: 2)));
        Assert.False(WinogradConv.SuitsForward(new Conv2dGeometry(2, 16, 8, 8, 16, 3, 3, Groups: 2)));
        Assert.False(WinogradConv.SuitsForward(new Conv2dGeometry(2, 16, 8, 8, 16, 5, 5)));
        // A 2x2 map: one 6x6 tile costs as many products as the direct sum.
        Assert.False(WinogradConv.SuitsForward(new Conv2dGeometry(2, 512, 2, 2, 512, 3, 3, 1, 1, 1, 1, 1, 1)));
        // One image of 8x8 maps: 4 tiles, too few columns for the 36 products.
        Assert.False(WinogradConv.SuitsForward(new Conv2dGeometry(1, 256, 8, 8, 256, 3, 3, 1, 1, 1, 1, 1, 1)));
        Assert.False(WinogradConv.SuitsBackwardFilter(new Conv2dGeometry(1, 256, 8, 8, 256, 3, 3, 1, 1, 1, 1, 1, 1)));
        // Padding 3 would turn into -1 for the backward data pass.
        Assert.False(WinogradConv.SuitsBackwardData(new Conv2dGeometry(2, 16, 8, 8, 16, 3, 3, 1, 1, 3, 3, 3, 3)));
        if (Avx512F.IsSupported && WinogradConv.Enabled)
        {
            var g = new Conv2dGeometry(2, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1);
            Assert.True(WinogradConv.SuitsForward(g));
            Assert.True(WinogradConv.SuitsBackwardData(g));
            // The same 8x8 maps over 16 images make 64 tiles.
            Assert.True(WinogradConv.SuitsForward(new Conv2dGeometry(16, 256, 8, 8, 256, 3, 3, 1, 1, 1, 1, 1, 1)));
        }
    }

    [Fact]
    public void WarmTrainingStepThroughWinogradConvolutionsAllocatesNothing()
    {
        // 28x28 and 14x14 maps with 16 channels, padding 1: both convolutions go through Winograd.
        using var acc = new CpuAccelerator();
        var model = new Sequential(new Conv2d(16, 3, Padding: 1), new ReLU(), new Conv2d(16, 3, Padding: 1),
            new ReLU(), new MaxPool2d(2), new Conv2d(24, 3, Padding: 1), new ReLU(), new Flatten(), new Linear(10));
        using var net = model.Build(new Shape(1, 28, 28), acc, maxBatch: 16, seed: 0);
        using var optimizer = new Sgd(net.Parameters(), 0.01f, momentum: 0.9f);
        AllocationTests.AssertWarmStepsAllocateNothing(net, optimizer);
    }

    private static Conv2dGeometry Geometry(int n, int c, int h, int w, int k, int top, int left, int bottom,
        int right) => new(n, c, h, w, k, 3, 3, 1, 1, top, left, bottom, right);

    // |got - exact| <= bound * (S + |extra|) per element; extra is the bias or the prefilled gradient, added once.
    private static void AssertWithin(double[] exact, float[] got, double[] magnitude, double[] extra, int channels,
        string what, double measured = Measured)
    {
        var worst = 0.0;
        for (var i = 0; i < exact.Length; i++)
        {
            var error = Math.Abs(got[i] - exact[i]);
            var scale = magnitude[i] + extra[i];
            worst = Math.Max(worst, error / (Unit * Math.Max(scale, 1e-30)));
            Assert.True(error <= (channels + 20) * Beta * Unit * scale + 1e-30,
                $"{what}[{i}]: error {error:G3} above the worst-case bound");
        }

        Assert.True(worst <= measured, $"{what}: error reached {worst:F1} u sum|x||w|, above {measured}");
    }

    private static double[] Abs(float[] values) => Array.ConvertAll(values, v => (double)Math.Abs(v));

    private static float[] Forward(in Conv2dGeometry g, float[] x, float[] w, float[]? b, int threads)
    {
        var y = new float[g.OutputLength];
        Array.Fill(y, float.NaN);
        using var workers = new CpuWorkers(threads);
        var conv = new WinogradConv(workers);
        fixed (float* px = x, pw = w, pb = b, py = y)
        {
            conv.Forward(g, px, pw, pb, py);
        }

        return y;
    }

    private static (float[] DW, float[] DB) BackwardFilter(in Conv2dGeometry g, float[] x, float[] dy,
        float[] dwBefore, float[] dbBefore, int threads)
    {
        var (dw, db) = ((float[])dwBefore.Clone(), (float[])dbBefore.Clone());
        using var workers = new CpuWorkers(threads);
        var conv = new WinogradConv(workers);
        fixed (float* px = x, pdy = dy, pdw = dw, pdb = db)
        {
            conv.BackwardFilter(g, px, pdy, pdw, pdb);
        }

        return (dw, db);
    }

    private static float[] BackwardData(in Conv2dGeometry g, float[] dy, float[] w, float[] before, int threads)
    {
        var dx = (float[])before.Clone();
        using var workers = new CpuWorkers(threads);
        var conv = new WinogradConv(workers);
        fixed (float* pdy = dy, pw = w, pdx = dx)
        {
            conv.BackwardData(g, pdy, pw, pdx);
        }

        return dx;
    }
}
