using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>Explicit padding: the seed's row examples as exact small integers, corners, reader counts and the limits
/// the geometry enforces, on every accelerator. The cases against the double reference are the Pad2d descriptor's
/// (Tests/Ops).</summary>
public sealed class Pad2dOracleTests
{
    [Theory]
    [InlineData(PaddingMode.Zeros, 0, "0 0 a b c d")]
    [InlineData(PaddingMode.Constant, 9, "9 9 a b c d")]
    [InlineData(PaddingMode.Replicate, 0, "a a a b c d")]
    [InlineData(PaddingMode.Reflect, 0, "c b a b c d")]
    [InlineData(PaddingMode.Symmetric, 0, "b a a b c d")]
    [InlineData(PaddingMode.Circular, 0, "c d a b c d")]
    public void RowABCDPaddedTwoOnTheLeftAsTheDocsSay(PaddingMode mode, float value, string expected)
    {
        // PaddingMode's documented examples, with a b c d = 1 2 3 4 (the seed's four modes and zeros/reflect).
        foreach (var accelerator in Accelerators.Names)
        {
            Assert.Equal(Row(expected), PadRow(accelerator, mode, value, 2, 0));
        }
    }

    [Theory]
    [InlineData(PaddingMode.Constant, "9 9 | a b c d | 9 9 9")]
    [InlineData(PaddingMode.Replicate, "a a | a b c d | d d d")]
    [InlineData(PaddingMode.Reflect, "c b | a b c d | c b a")]
    [InlineData(PaddingMode.Symmetric, "b a | a b c d | d c b")]
    [InlineData(PaddingMode.Circular, "c d | a b c d | a b c")]
    public void RowABCDPaddedOnBothSides(PaddingMode mode, string expected)
    {
        // Seed 002: constant, replicate, symmetric (mirror) and circular, and PyTorch's reflect, on a row padded
        // by 2 before and 3 after (reflect reaches its limit of 3 = W - 1 on the right).
        foreach (var accelerator in Accelerators.Names)
        {
            Assert.Equal(Row(expected), PadRow(accelerator, mode, 9, 2, 3));
        }
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void TwoDimensionalCornersComeFromBothAxes(string accelerator)
    {
        // 2x3 image 1 2 3 / 4 5 6 padded by one on every side. A corner is mapped along both axes at once.
        float[] x = [1, 2, 3, 4, 5, 6];
        var expected = new Dictionary<PaddingMode, float[]>
        {
            [PaddingMode.Replicate] = [1, 1, 2, 3, 3, 1, 1, 2, 3, 3, 4, 4, 5, 6, 6, 4, 4, 5, 6, 6],
            [PaddingMode.Reflect] = [5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 2, 1, 2, 3, 2],
            [PaddingMode.Symmetric] = [1, 1, 2, 3, 3, 1, 1, 2, 3, 3, 4, 4, 5, 6, 6, 4, 4, 5, 6, 6],
            [PaddingMode.Circular] = [6, 4, 5, 6, 4, 3, 1, 2, 3, 1, 6, 4, 5, 6, 4, 3, 1, 2, 3, 1],
            [PaddingMode.Constant] = [-1, -1, -1, -1, -1, -1, 1, 2, 3, -1, -1, 4, 5, 6, -1, -1, -1, -1, -1, -1],
        };
        using var acc = Accelerators.Create(accelerator);
        foreach (var (mode, values) in expected)
        {
            var g = new Pad2dGeometry(1, 1, 2, 3, 1, 1, 1, 1, mode, -1f);
            var y = acc.Filled(g.OutputLength, float.NaN);
            acc.Pad2dForward(g, acc.Upload(x), y);
            Assert.Equal(values, y.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void BackwardCountsEveryReaderOfAPixel(string accelerator)
    {
        // Row 1 2 3 4 padded (2, 3) with dy all ones: dx counts how many outputs read each pixel, added to 10.
        var expected = new Dictionary<PaddingMode, float[]>
        {
            [PaddingMode.Zeros] = [11, 11, 11, 11],
            [PaddingMode.Constant] = [11, 11, 11, 11],
            [PaddingMode.Replicate] = [13, 11, 11, 14],
            [PaddingMode.Reflect] = [12, 13, 13, 11],
            [PaddingMode.Symmetric] = [12, 13, 12, 12],
            [PaddingMode.Circular] = [12, 12, 13, 12],
        };
        using var acc = Accelerators.Create(accelerator);
        foreach (var (mode, values) in expected)
        {
            var g = new Pad2dGeometry(1, 1, 1, 4, 0, 2, 0, 3, mode, 5f);
            var dx = acc.Filled(4, 10f);
            acc.Pad2dBackward(g, acc.Filled(g.OutputLength, 1f), dx);
            Assert.Equal(values, dx.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void AmountsPastTheModesLimitAreRejected(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var x = acc.Filled(2 * 4 * 5, 1f);
        var big = acc.Filled(2 * 20 * 20, 0f);
        (PaddingMode Mode, int Top, int Left, int Bottom, int Right)[] rejected =
        [
            (PaddingMode.Reflect, 4, 0, 0, 0), // H = 4: reflect allows at most 3
            (PaddingMode.Reflect, 0, 0, 0, 5),
            (PaddingMode.Symmetric, 0, 6, 0, 0), // W = 5: symmetric allows 5
            (PaddingMode.Symmetric, 0, 0, 5, 0),
            (PaddingMode.Circular, 5, 0, 0, 0),
            (PaddingMode.Circular, 0, 0, 0, 6),
            (PaddingMode.Zeros, -1, 0, 0, 0),
            (PaddingMode.Replicate, 0, 0, 0, -2),
        ];
        foreach (var (mode, top, left, bottom, right) in rejected)
        {
            var g = new Pad2dGeometry(1, 2, 4, 5, top, left, bottom, right, mode);
            var forward = Assert.Throws<ArgumentException>(() => acc.Pad2dForward(g, x, big));
            Assert.Contains(top < 0 || right < 0 ? "negative" : mode.ToString(), forward.Message);
            Assert.Throws<ArgumentException>(() => acc.Pad2dBackward(g, big, x));
        }

        // The largest amounts each mode allows go through.
        foreach (var (mode, h, w) in new[] { (PaddingMode.Reflect, 3, 4), (PaddingMode.Symmetric, 4, 5),
                     (PaddingMode.Circular, 4, 5), (PaddingMode.Replicate, 7, 7) })
        {
            acc.Pad2dForward(new Pad2dGeometry(1, 2, 4, 5, h, w, h, w, mode), x, big);
        }
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void BuffersTooShortAreRejected(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var g = new Pad2dGeometry(2, 1, 3, 3, 1, 1, 1, 1, PaddingMode.Reflect);
        var forward = Assert.Throws<ArgumentException>(() =>
            acc.Pad2dForward(g, acc.Allocate(g.InputLength), acc.Allocate(g.OutputLength - 1)));
        Assert.Equal("y", forward.ParamName);
        var backward = Assert.Throws<ArgumentException>(() =>
            acc.Pad2dBackward(g, acc.Allocate(g.OutputLength), acc.Allocate(g.InputLength - 1)));
        Assert.Equal("dx", backward.ParamName);
    }

    // "a b | c d" with a..d = 1..4 and digits as themselves; bars are for reading only.
    private static float[] Row(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
        .Where(t => t != "|")
        .Select(t => t[0] is >= 'a' and <= 'd' ? t[0] - 'a' + 1f : t[0] - '0')
        .ToArray();

    private static float[] PadRow(string accelerator, PaddingMode mode, float value, int left, int right)
    {
        using var acc = Accelerators.Create(accelerator);
        var g = new Pad2dGeometry(1, 1, 1, 4, 0, left, 0, right, mode, value);
        var y = acc.Filled(g.OutputLength, float.NaN);
        acc.Pad2dForward(g, acc.Upload([1, 2, 3, 4]), y);
        return y.ToArray();
    }
}
