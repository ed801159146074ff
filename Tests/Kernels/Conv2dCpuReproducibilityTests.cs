using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>The CPU convolution's weight gradient is summed by two threads over fixed ranges of images and the
/// ranges are added in a fixed order, so repeated calls agree to the bit whichever thread ran which range. Shapes:
/// the direct kernel's (few taps per output) and the im2col + GEMM path's.</summary>
public sealed class Conv2dCpuReproducibilityTests
{
    public static TheoryData<string> Shapes => new(Geometries.Keys);

    private static readonly Dictionary<string, Conv2dGeometry> Geometries = new()
    {
        ["direct-lenet-c2-odd-batch"] = new(9, 6, 14, 14, 16, 5, 5),
        ["direct-cin1-stride2"] = new(7, 1, 28, 28, 12, 3, 3, StrideH: 2, StrideW: 2),
        ["gemm-3x3-64-channels"] = new(5, 64, 8, 8, 40, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WeightGradientIsBitwiseRepeatable(string shape)
    {
        var g = Geometries[shape];
        var x = RandomTensors.Uniform(g.InputLength, 21);
        var dy = RandomTensors.Uniform(g.OutputLength, 22);
        using var two = new CpuAccelerator(threads: 2);
        var first = BackwardFilter(two, g, x, dy);
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(first, BackwardFilter(two, g, x, dy));
        }
    }

    private static float[] BackwardFilter(Accelerator acc, in Conv2dGeometry g, float[] x, float[] dy)
    {
        var (dw, db) = (acc.Filled(g.WeightLength, 0f), acc.Filled(g.K, 0f));
        acc.Conv2dBackwardFilter(g, acc.Upload(x), acc.Upload(dy), dw, db);
        return [.. dw.ToArray(), .. db.ToArray()];
    }
}
