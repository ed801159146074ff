using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>Pooling's special cases on every accelerator: ceil-mode sizes, the average's divisor at the padding,
/// ties, overlapping winners, negative inputs beside padding and NaN. The cases against the double reference are
/// the MaxPool2d and AvgPool2d descriptors' (Tests/Ops).</summary>
public sealed class Pool2dOracleTests
{
    // Sizes PyTorch's MaxPool2d(3, 2, ceil_mode=True) gives in GoogLeNet (112 -> 56 -> 28 -> 14 -> 7) and ZFNet
    // (110 -> 55, 26 -> 13, 13 -> 6), against floor mode's 55, 27, 13, 6, 54, 12, 6; and a dropped last window.
    [Theory]
    [InlineData(112, 3, 2, 0, 56, 55)]
    [InlineData(56, 3, 2, 0, 28, 27)]
    [InlineData(28, 3, 2, 0, 14, 13)]
    [InlineData(14, 3, 2, 0, 7, 6)]
    [InlineData(110, 3, 2, 0, 55, 54)]
    [InlineData(26, 3, 2, 0, 13, 12)]
    [InlineData(13, 3, 2, 0, 6, 6)]
    [InlineData(5, 2, 2, 1, 3, 3)]
    public void CeilModeSizesMatchPyTorch(int input, int kernel, int stride, int pad, int ceil, int floor)
    {
        Assert.Equal(ceil, Pool2dGeometry.OutputSize(input, pad, kernel, stride, ceilMode: true));
        Assert.Equal(floor, Pool2dGeometry.OutputSize(input, pad, kernel, stride, ceilMode: false));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void AvgDivisorCountsPaddingButNotBeyondIt(string accelerator)
    {
        // PyTorch: avg_pool2d(ones(1,1,3,3), 3, stride=1, padding=1) has 4/9 in the corners and 6/9 on the edges,
        // because padded cells count in the divisor (count_include_pad=True).
        var g = new Pool2dGeometry(1, 1, 3, 3, 3, 3, 1, 1, 1, 1);
        double[] expected = [4 / 9.0, 6 / 9.0, 4 / 9.0, 6 / 9.0, 1, 6 / 9.0, 4 / 9.0, 6 / 9.0, 4 / 9.0];
        using var acc = Accelerators.Create(accelerator);
        var y = acc.Filled(9, float.NaN);
        acc.AvgPool2dForward(g, acc.Filled(9, 1f), y);

        TensorAssert.Close(expected, ReferenceOps.AvgPool2dForward(g, Enumerable.Repeat(1.0, 9).ToArray()), 1e-15, 0,
            "reference avg pool of ones");
        TensorAssert.Close(expected, y.ToArray(), 1e-7, 0, "avg pool of ones");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void AvgWindowOverPaddingDividesByTheWholeKernel(string accelerator)
    {
        // 1x5 row, kernel 1x4, stride 3, pad 0x2: windows start at -2 and 1. The first covers two padded and two
        // real cells and still divides by 4 (count_include_pad=True would not hold if it divided by 2). In floor
        // mode no window reaches past the padded input, so the clipped area is always the whole kernel.
        var g = new Pool2dGeometry(1, 1, 1, 5, 1, 4, 1, 3, 0, 2);
        float[] x = [1, 2, 3, 4, 5];
        double[] expected = [(1 + 2) / 4.0, (2 + 3 + 4 + 5) / 4.0];
        using var acc = Accelerators.Create(accelerator);
        var y = acc.Filled(g.OutputLength, float.NaN);
        acc.AvgPool2dForward(g, acc.Upload(x), y);

        TensorAssert.Close(expected, ReferenceOps.AvgPool2dForward(g, x.ToDouble()), 1e-15, 0, "reference");
        TensorAssert.Close(expected, y.ToArray(), 1e-7, 0, "avg pool");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void MaxBackwardRoutesTiesToTheFirstMaximum(string accelerator)
    {
        // Every element equal: each 2x2 window sends its gradient to its top-left cell only.
        var g = new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2);
        float[] dy = [1, 2, 3, 4];
        double[] expected = [1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0];
        using var acc = Accelerators.Create(accelerator);
        var dx = acc.Filled(16, 0f);
        acc.MaxPool2dBackward(g, acc.Filled(16, 0.5f), acc.Upload(dy), dx);

        TensorAssert.Close(expected, ReferenceOps.MaxPool2dBackward(g, Enumerable.Repeat(0.5, 16).ToArray(),
            dy.ToDouble()), 0, 0, "reference");
        TensorAssert.Close(expected, dx.ToArray(), 0, 0, "max pool dx with ties");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void MaxBackwardSumsOverOverlappingWindowsThatShareAWinner(string accelerator)
    {
        // A 1x4 row [0, 9, 1, 2] with kernel 1x3, stride 1: both windows pick the 9, whose gradient is dy0 + dy1.
        var g = new Pool2dGeometry(1, 1, 1, 4, 1, 3, 1, 1);
        using var acc = Accelerators.Create(accelerator);
        var dx = acc.Filled(4, 0f);
        acc.MaxPool2dBackward(g, acc.Upload([0, 9, 1, 2]), acc.Upload([0.25f, 0.5f]), dx);

        TensorAssert.Close([0, 0.75, 0, 0], dx.ToArray(), 0, 0, "max pool dx");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void MaxPaddingNeverWinsOverNegativeInputs(string accelerator)
    {
        var g = new Pool2dGeometry(2, 2, 5, 7, 3, 3, 2, 2, 1, 1);
        var x = RandomTensors.Uniform(g.InputLength, 8, -3f, -1f);
        using var acc = Accelerators.Create(accelerator);
        var y = acc.Filled(g.OutputLength, float.NaN);
        acc.MaxPool2dForward(g, acc.Upload(x), y);

        Assert.All(y.ToArray(), v => Assert.True(v < -1f + 1e-6f, $"padding leaked into the max: {v}"));
        TensorAssert.Close(ReferenceOps.MaxPool2dForward(g, x.ToDouble()), y.ToArray(), 0, 0, "max pool y");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void MaxForwardPropagatesNaNLikePyTorch(string accelerator)
    {
        // 1x20 input, 1x2 windows at stride 1: outputs 0..7 take the vector path on the CPU, the rest the scalar one.
        var g = new Pool2dGeometry(1, 1, 1, 20, 1, 2, 1, 1);
        var x = Enumerable.Range(0, 20).Select(i => (float)i).ToArray();
        x[3] = float.NaN;
        x[15] = float.NaN;
        using var acc = Accelerators.Create(accelerator);
        var y = acc.Filled(g.OutputLength, 0f);
        acc.MaxPool2dForward(g, acc.Upload(x), y);

        var result = y.ToArray();
        var nan = Enumerable.Range(0, result.Length).Where(i => float.IsNaN(result[i])).ToArray();
        Assert.Equal([2, 3, 14, 15], nan);
        Assert.Equal(5f, result[4]);
    }
}
