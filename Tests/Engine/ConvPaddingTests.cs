using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// Padding as a convolution sees it (seed 002): how much (valid, same, full and explicit amounts) decides the
/// output size, what the padding holds (zeros, constant, replicate, reflect, symmetric, circular) decides the
/// values; a padded convolution must equal an explicit padding node followed by an unpadded convolution.
/// </summary>
public sealed class ConvPaddingTests
{
    [Theory]
    // kernel, stride, rule, then the output for a 7x8 input. valid: floor((n - k)/s) + 1; same: ceil(n/s);
    // full: floor((n + 2(k - 1) - k)/s) + 1, which is n + k - 1 at stride 1.
    [InlineData(3, 1, "valid", 5, 6)]
    [InlineData(3, 2, "valid", 3, 3)]
    [InlineData(3, 3, "valid", 2, 2)]
    [InlineData(3, 1, "same", 7, 8)]
    [InlineData(3, 2, "same", 4, 4)]
    [InlineData(3, 3, "same", 3, 3)]
    [InlineData(3, 1, "full", 9, 10)]
    [InlineData(3, 2, "full", 5, 5)]
    [InlineData(3, 3, "full", 3, 4)]
    [InlineData(2, 1, "valid", 6, 7)]
    [InlineData(2, 2, "valid", 3, 4)]
    [InlineData(2, 3, "valid", 2, 3)]
    [InlineData(2, 1, "same", 7, 8)]
    [InlineData(2, 2, "same", 4, 4)]
    [InlineData(2, 3, "same", 3, 3)]
    [InlineData(2, 1, "full", 8, 9)]
    [InlineData(2, 2, "full", 4, 5)]
    [InlineData(2, 3, "full", 3, 3)]
    [InlineData(4, 1, "valid", 4, 5)]
    [InlineData(4, 2, "valid", 2, 3)]
    [InlineData(4, 3, "valid", 2, 2)]
    [InlineData(4, 1, "same", 7, 8)]
    [InlineData(4, 2, "same", 4, 4)]
    [InlineData(4, 3, "same", 3, 3)]
    [InlineData(4, 1, "full", 10, 11)]
    [InlineData(4, 2, "full", 5, 6)]
    [InlineData(4, 3, "full", 4, 4)]
    [InlineData(5, 2, "full", 6, 6)]
    public void OutputSizeOfValidSameAndFull(int kernel, int stride, string rule, int expectedH, int expectedW)
    {
        foreach (var mode in new[] { PaddingMode.Zeros, PaddingMode.Replicate })
        {
            var g = new GraphBuilder();
            var conv = g.Conv2d(g.Input(new Shape(2, 7, 8)), 3, kernel, stride, Padding2d.Parse(rule),
                paddingMode: mode);
            var summary = ModelSummary.Of(g, conv);
            Assert.Equal(new Shape(3, expectedH, expectedW), summary.Rows[^1].OutputShape);
        }
    }

    [Theory]
    // input, kernel, stride, then top and bottom of Keras' same: the odd pixel goes to the bottom (and right).
    [InlineData(8, 4, 1, 1, 2)]
    [InlineData(7, 4, 2, 1, 2)]
    [InlineData(8, 3, 2, 0, 1)]
    [InlineData(7, 2, 3, 0, 1)]
    [InlineData(7, 3, 1, 1, 1)]
    [InlineData(6, 1, 2, 0, 0)]
    public void SamePutsTheOddPixelAtTheBottomAndRight(int n, int kernel, int stride, int top, int bottom)
    {
        var g = new GraphBuilder();
        var conv = (Conv2dNode)g.Conv2d(g.Input(new Shape(1, n, n)), 1, kernel, stride, Padding2d.Same);
        ModelSummary.Of(g, conv);
        Assert.Equal((top, bottom, top, bottom),
            (conv.Geometry.PadTop, conv.Geometry.PadBottom, conv.Geometry.PadLeft, conv.Geometry.PadRight));

        // With a padding mode the amounts move into the padding step and the convolution itself pads nothing.
        var h = new GraphBuilder();
        var reflected = (Conv2dNode)h.Conv2d(h.Input(new Shape(1, n, n)), 1, kernel, stride, Padding2d.Same,
            paddingMode: PaddingMode.Reflect);
        ModelSummary.Of(h, reflected);
        var pad = top + bottom == 0 ? (Pad2dGeometry?)null : new Pad2dGeometry(1, 1, n, n, top, top, bottom, bottom,
            PaddingMode.Reflect);
        Assert.Equal(pad, reflected.PadGeometry);
        Assert.Equal(0, reflected.Geometry.PadTop + reflected.Geometry.PadBottom);
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void SeedFiveByFiveImageIsSmallerEqualOrLargerWithValidSameOrFull(string accelerator)
    {
        // Seed 002: a 3x3 filter on a 5x5 image gives 3x3 (valid), 5x5 (same) and 7x7 (full), each by
        // M = (N + 2P - f)/stride + 1 with P = 0, 1, 2. Ones everywhere: each output counts the real pixels under
        // its window, which shows where the padding lies.
        using var acc = Accelerators.Create(accelerator);
        var ones = Enumerable.Repeat(1f, 25).ToArray();
        Assert.Equal(Enumerable.Repeat(9f, 9), OnesConv(acc, 5, 3, Padding2d.Valid, ones));
        float[] same =
        [
            4, 6, 6, 6, 4,
            6, 9, 9, 9, 6,
            6, 9, 9, 9, 6,
            6, 9, 9, 9, 6,
            4, 6, 6, 6, 4,
        ];
        Assert.Equal(same, OnesConv(acc, 5, 3, Padding2d.Same, ones));
        float[] full =
        [
            1, 2, 3, 3, 3, 2, 1,
            2, 4, 6, 6, 6, 4, 2,
            3, 6, 9, 9, 9, 6, 3,
            3, 6, 9, 9, 9, 6, 3,
            3, 6, 9, 9, 9, 6, 3,
            2, 4, 6, 6, 6, 4, 2,
            1, 2, 3, 3, 3, 2, 1,
        ];
        Assert.Equal(full, OnesConv(acc, 5, 3, Padding2d.Full, ones));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void EvenKernelSameHasItsExtraPaddingAtTheBottomRight(string accelerator)
    {
        // A 2x2 window of ones on a 3x3 image of ones, same: one pixel of padding, below and on the right
        // (Keras), so the last row and column see half a window. At the top-left instead the first would.
        using var acc = Accelerators.Create(accelerator);
        Assert.Equal([4, 4, 2, 4, 4, 2, 2, 2, 1], OnesConv(acc, 3, 2, Padding2d.Same, Enumerable.Repeat(1f, 9)
            .ToArray()));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void PaddingModesShowInTheBorderOfABoxFilter(string accelerator)
    {
        // The image 1..9 (3x3) under a 3x3 box filter of ones with same padding: the centre sums the image (45)
        // in every mode; the top-left corner sums the 2x2 corner (1 + 2 + 4 + 5 = 12) plus the five padded cells,
        // which each mode fills differently.
        using var acc = Accelerators.Create(accelerator);
        var image = Enumerable.Range(1, 9).Select(v => (float)v).ToArray();
        var corners = new Dictionary<PaddingMode, float>
        {
            [PaddingMode.Zeros] = 12,
            [PaddingMode.Constant] = 12 + 5 * 10,
            // Replicate: the cells above and left of the corner are 1, 1, 2 and 1, 4 (clamped).
            [PaddingMode.Replicate] = 12 + 1 + 1 + 2 + 1 + 4,
            // Reflect: row -1 is row 1 and column -1 is column 1: 5 4 5 / 2 . . / 5 . .
            [PaddingMode.Reflect] = 12 + 5 + 4 + 5 + 2 + 5,
            // Symmetric: row -1 is row 0 and column -1 is column 0, as replicate for one pixel.
            [PaddingMode.Symmetric] = 12 + 1 + 1 + 2 + 1 + 4,
            // Circular: row -1 is row 2 and column -1 is column 2: 9 7 8 / 3 . . / 6 . .
            [PaddingMode.Circular] = 12 + 9 + 7 + 8 + 3 + 6,
        };
        foreach (var (mode, corner) in corners)
        {
            var y = OnesConv(acc, 3, 3, Padding2d.Same, image, mode, 10f);
            Assert.Equal(corner, y[0]);
            Assert.Equal(45f, y[4]);
        }
    }

    [Theory]
    [MemberData(nameof(ModeData))]
    public void PaddedConvolutionEqualsPadNodeThenValidConvolution(string accelerator, string mode)
    {
        var paddingMode = Enum.Parse<PaddingMode>(mode);
        using var acc = Accelerators.Create(accelerator);
        var shape = new Shape(2, 7, 6);

        var a = new GraphBuilder();
        var xa = a.Input(shape, requiresGrad: true);
        var ya = a.Conv2d(xa, 3, 3, 2, Padding2d.Explicit(1, 2, 2, 1), paddingMode: paddingMode,
            paddingValue: 0.5f);
        using var padded = a.Build(ya, acc, maxBatch: 3, seed: 8);

        var b = new GraphBuilder();
        var xb = b.Input(shape, requiresGrad: true);
        var yb = b.Conv2d(b.Pad2d(xb, 1, 2, 2, 1, paddingMode, 0.5f), 3, 3, 2, Padding2d.Valid);
        using var explicitPad = b.Build(yb, acc, maxBatch: 3, seed: 8);

        Assert.Equal(padded.OutputShape, explicitPad.OutputShape);
        Assert.Equal(new Shape(3, 4, 4), padded.OutputShape);
        Assert.Equal(padded.Parameter("conv1.weight").ToArray(), explicitPad.Parameter("conv1.weight").ToArray());
        var input = RandomTensors.Uniform(3 * shape.Size, 1);
        var r = RandomTensors.Uniform(3 * padded.OutputShape.Size, 2);
        foreach (var net in new[] { padded, explicitPad })
        {
            net.Forward(input, 3);
            acc.CopyFromHost(r, net.GradOf(net.Output)!);
            net.Backward(net.Output);
        }

        // With a mode the padded convolution runs the same kernels in the same order on the same numbers: equal to
        // the last bit. With zeros it pads inside the convolution, whose sums may then round differently.
        var tolerance = paddingMode == PaddingMode.Zeros ? 1e-6 : 0;
        void Same(float[] expected, float[] actual, string what) =>
            TensorAssert.Close(expected.ToDouble(), actual, tolerance, tolerance, $"{mode} {what}");
        Same(explicitPad.OutputOf(yb).ToArray(), padded.OutputOf(ya).ToArray(), "output");
        Same(explicitPad.GradOf(xb)!.ToArray(), padded.GradOf(xa)!.ToArray(), "input gradient");
        Same(explicitPad.Parameter("conv1.weight").GradToArray(), padded.Parameter("conv1.weight").GradToArray(),
            "weight gradient");
        Same(explicitPad.Parameter("conv1.bias").GradToArray(), padded.Parameter("conv1.bias").GradToArray(),
            "bias gradient");

        // And the mode matters: the output is not the zero-padded convolution's, and neither is the input gradient
        // except for a constant border, which reads no input and so passes no gradient back.
        if (paddingMode != PaddingMode.Zeros)
        {
            var c = new GraphBuilder();
            var xc = c.Input(shape, requiresGrad: true);
            using var zeros = c.Build(c.Conv2d(xc, 3, 3, 2, Padding2d.Explicit(1, 2, 2, 1)), acc, 3, 8);
            zeros.Forward(input, 3);
            acc.CopyFromHost(r, zeros.GradOf(zeros.Output)!);
            zeros.Backward(zeros.Output);
            Assert.NotEqual(zeros.OutputOf(zeros.Output).ToArray(), padded.OutputOf(ya).ToArray());
            if (paddingMode == PaddingMode.Constant)
            {
                TensorAssert.Close(zeros.GradOf(xc)!.ToArray().ToDouble(), padded.GradOf(xa)!.ToArray(), 1e-6, 1e-6,
                    "constant-padded input gradient against zero-padded");
            }
            else
            {
                Assert.NotEqual(zeros.GradOf(xc)!.ToArray(), padded.GradOf(xa)!.ToArray());
            }
        }
    }

    public static TheoryData<string, string> ModeData => Accelerators.Cross(Enum.GetNames<PaddingMode>());

    [Fact]
    public void PaddingPastTheModesLimitIsAShapeErrorNamingTheNode()
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(1, 3, 8));
        // Full padding of a 4x4 kernel is 3 on every side: too much to reflect a 3-pixel height.
        var conv = g.Conv2d(x, 1, 4, 1, Padding2d.Full, paddingMode: PaddingMode.Reflect);
        var error = Assert.Throws<GraphException>(() => ModelSummary.Of(g, conv));
        Assert.Contains("conv1", error.Message);
        Assert.Contains("Reflect padding of (3, 3, 3, 3) on a 3x8 input", error.Message);

        var h = new GraphBuilder();
        var pad = h.Pad2d(h.Input(new Shape(1, 3, 8)), 0, 9, 0, 0, PaddingMode.Circular);
        error = Assert.Throws<GraphException>(() => ModelSummary.Of(h, pad));
        Assert.Contains("pad1", error.Message);
        Assert.Contains("at most the input size", error.Message);

        Assert.Throws<GraphException>(() => new GraphBuilder().Pad2d(x, 0, -1, 0, 0));
    }

    [Fact]
    public void AddTakesEqualShapesFromDifferentNodesAndRejectsOthers()
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(2, 5, 4));
        var sum = g.Add(g.Conv2d(x, 3, 3, 1, Padding2d.Same), g.Conv2d(x, 3, 1));
        Assert.Equal(new Shape(3, 5, 4), ModelSummary.Of(g, sum).Rows[^1].OutputShape);

        var bad = g.Add(g.Conv2d(x, 3, 3), g.Conv2d(x, 3, 1));
        var error = Assert.Throws<GraphException>(() => ModelSummary.Of(g, bad));
        Assert.Contains("(3, 3, 2), (3, 5, 4)", error.Message);
    }

    [Fact]
    public void ConcatSumsChannelsAndNeedsMatchingPlanes()
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(3, 6, 6));
        var cat = g.Concat([g.Conv2d(x, 2, 1), x, g.Conv2d(x, 5, 3, 1, Padding2d.Same)]);
        Assert.Equal(new Shape(10, 6, 6), ModelSummary.Of(g, cat).Rows[^1].OutputShape);

        var bad = g.Concat([x, g.Conv2d(x, 2, 3)]);
        Assert.Throws<GraphException>(() => ModelSummary.Of(g, bad));
    }

    // A single-channel convolution of the n x n image with a k x k kernel of ones and no bias.
    private static float[] OnesConv(GpuCnn.Kernels.Accelerator acc, int n, int k, Padding2d padding, float[] image,
        PaddingMode mode = PaddingMode.Zeros, float value = 0f)
    {
        var g = new GraphBuilder();
        var y = g.Conv2d(g.Input(new Shape(1, n, n)), 1, k, 1, padding, bias: false, paddingMode: mode,
            paddingValue: value);
        using var net = g.Build(y, acc, maxBatch: 1);
        net.Parameter("conv1.weight").Load(Enumerable.Repeat(1f, k * k).ToArray());
        return net.Predict(image, 1);
    }
}
