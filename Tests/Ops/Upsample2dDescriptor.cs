using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Conformance;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>Nearest-neighbour Upsample2d against this file's double-precision oracle, which uses PyTorch's general
/// index floor(dst * in / out) rather than the kernels' dst / scale.</summary>
internal sealed class Upsample2dDescriptor : OpDescriptor
{
    private static readonly Dictionary<string, Upsample2dGeometry> Cases = new()
    {
        ["x2"] = new(2, 3, 4, 5, 2, 2),
        ["x3"] = new(1, 2, 3, 4, 3, 3),
        ["3x2-non-square"] = new(2, 2, 3, 5, 3, 2),
        ["1x4-columns-only"] = new(1, 3, 4, 3, 1, 4),
        ["2x1-rows-only"] = new(2, 1, 5, 6, 2, 1),
        ["x1-identity"] = new(1, 2, 3, 3, 1, 1),
        ["1x1-input"] = new(3, 2, 1, 1, 2, 3),
        // Scale 2 along rows of 8 and more: the CPU's vector shuffle, and its scalar tail (13 = 8 + 5).
        ["x2-vector-and-tail"] = new(2, 3, 6, 13, 2, 2),
        // Enough planes for the CPU to split the work over several items.
        ["x2-many-planes"] = new(8, 16, 12, 20, 2, 2),
    };

    private static readonly Dictionary<string, Upsample2dGeometry> GradientCases = new()
    {
        ["x2"] = new(2, 2, 3, 4, 2, 2),
        ["3x2"] = new(1, 2, 3, 2, 3, 2),
    };

    public override string Name => "Upsample2d";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("forward", Cases.Keys, Forward),
        new("backward-adds", Cases.Keys, Backward),
        new("backward-sums-in-the-same-order-as-the-cpu", Cases.Keys, BackwardInCpuOrder),
    ];

    public override IEnumerable<KernelCheck> KernelGradients => [new("dx", GradientCases.Keys, Gradient)];

    public override IEnumerable<OracleCheck> Oracle =>
    [
        new("gradient-is-derivative", GradientCases.Keys, OracleGradients),
        new("sizes-and-blocks", Cases.Keys, SizesAndBlocks),
    ];

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["upsample-x2"] = new(new Shape(2, 3, 4), Smooth, [], (g, x) => g.Upsample2d(x, 2)),
        ["upsample-3x2"] = new(new Shape(2, 2, 3), Smooth, [], (g, x) => g.Upsample2d(x, 3, 2)),
        // Upsampling then a strided convolution, as a decoder and an encoder meet: the gradient crosses both.
        ["upsample-x2-then-conv"] = new(new Shape(2, 3, 3), Smooth, ["conv.weight", "conv.bias"],
            (g, x) => g.Conv2d(g.Upsample2d(x, 2), 3, 3, 2, 1, name: "conv")),
    };

    public override IReadOnlyList<string> FixtureOps => ["upsample"];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) =>
        g.Upsample2d(x, fixture.Int("scale_h"), fixture.Int("scale_w"), "layer");

    /// <summary>The input index PyTorch's nearest mode reads for output index <paramref name="dst"/> of an axis
    /// that grows from <paramref name="input"/> to <paramref name="output"/> pixels.</summary>
    private static int Source(int dst, int input, int output) =>
        Math.Min((int)Math.Floor((double)dst * input / output), input - 1);

    /// <summary>y[n, c, oh, ow] = x[n, c, src(oh), src(ow)], in double.</summary>
    internal static double[] Reference(in Upsample2dGeometry g, double[] x)
    {
        var y = new double[g.N * g.C * g.OutH * g.OutW];
        ForEachOutput(g, (o, i) => y[o] = x[i]);
        return y;
    }

    /// <summary>dx[i] = the sum of dy over the outputs that read input i, in double.</summary>
    internal static double[] ReferenceBackward(in Upsample2dGeometry g, double[] dy)
    {
        var dx = new double[g.N * g.C * g.H * g.W];
        ForEachOutput(g, (o, i) => dx[i] += dy[o]);
        return dx;
    }

    // Calls read(output index, input index) for every output element.
    private static void ForEachOutput(in Upsample2dGeometry g, Action<int, int> read)
    {
        int outH = g.H * g.ScaleH, outW = g.W * g.ScaleW;
        for (var plane = 0; plane < g.N * g.C; plane++)
        {
            for (var oh = 0; oh < outH; oh++)
            {
                for (var ow = 0; ow < outW; ow++)
                {
                    read((plane * outH + oh) * outW + ow,
                        (plane * g.H + Source(oh, g.H, outH)) * g.W + Source(ow, g.W, outW));
                }
            }
        }
    }

    private static void Forward(Accelerator acc, string name)
    {
        var g = Cases[name];
        var x = RandomTensors.Uniform(g.InputLength, 1);
        var y = acc.Filled(g.OutputLength, float.NaN);
        acc.Upsample2dForward(g, acc.Upload(x), y);

        // Every output is a copy of an input, so it must be exact.
        TensorAssert.Close(Reference(g, x.ToDouble()), y.ToArray(), 0, 0, $"upsample {name} y");
    }

    private static void Backward(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (dy, before) = (RandomTensors.Uniform(g.OutputLength, 2), RandomTensors.Uniform(g.InputLength, 3));
        var dx = acc.Upload(before);
        acc.Upsample2dBackward(g, acc.Upload(dy), dx);

        var expected = Expected.Add(before, ReferenceBackward(g, dy.ToDouble()));
        TensorAssert.Close(expected, dx.ToArray(), 1e-6, 1e-6, $"upsample {name} dx (added to prefill)");
    }

    private static void BackwardInCpuOrder(Accelerator acc, string name)
    {
        // The OpenCL gather adds a block row by row, as the CPU does, so the float sums must agree exactly.
        var g = Cases[name];
        var (dy, before) = (RandomTensors.Uniform(g.OutputLength, 4), RandomTensors.Uniform(g.InputLength, 5));
        using var cpu = Accelerators.Create("cpu-1thread");
        var dx = acc.Upload(before);
        var cpuDx = cpu.Upload(before);
        acc.Upsample2dBackward(g, acc.Upload(dy), dx);
        cpu.Upsample2dBackward(g, cpu.Upload(dy), cpuDx);

        TensorAssert.Close(cpuDx.ToArray().ToDouble(), dx.ToArray(), 0, 0, $"upsample {name} dx against the CPU");
    }

    private static void Gradient(Accelerator acc, string name)
    {
        var g = GradientCases[name];
        var (x, r) = (RandomTensors.Uniform(g.InputLength, 7), RandomTensors.Uniform(g.OutputLength, 8));
        var (xb, y, dx) = (acc.Upload(x), acc.Allocate(g.OutputLength), acc.Filled(g.InputLength, 0f));
        acc.Upsample2dBackward(g, acc.Upload(r), dx);

        KernelGradient.Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.Upsample2dForward(g, xb, y);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, KernelGradient.LinearStep), dx, $"upsample {name} dx");
    }

    private static void OracleGradients(string name)
    {
        var g = GradientCases[name];
        var x = RandomTensors.Uniform(g.InputLength, 5).ToDouble();
        var r = RandomTensors.Uniform(g.OutputLength, 6).ToDouble();

        OracleGradient.Check(ReferenceBackward(g, r), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(Reference(g, x), r), OracleGradient.Step), $"upsample {name} dx");
    }

    private static void SizesAndBlocks(string name)
    {
        // The geometry's sizes against the oracle's, and PyTorch's index against the block rule: each input
        // pixel is read by exactly ScaleH x ScaleW outputs, so backward of ones gives that count everywhere.
        var g = Cases[name];
        Assert.Equal(Reference(g, new double[g.InputLength]).Length, g.OutputLength);
        Assert.Equal(g.N * g.C * g.H * g.ScaleH * g.W * g.ScaleW, g.OutputLength);
        var counts = ReferenceBackward(g, Enumerable.Repeat(1.0, g.OutputLength).ToArray());
        Assert.All(counts, c => Assert.Equal(g.ScaleH * g.ScaleW, c));
    }
}

/// <summary>Upsample as a Sequential record, in the summary, and its shape rule.</summary>
public sealed class Upsample2dLayerTests
{
    [Fact]
    public void SequentialRecordBuildsTheNodeWithItsScales()
    {
        using var acc = new GpuCnn.Kernels.Cpu.CpuAccelerator(1);
        using var net = new Sequential(new Upsample(3, 2)).Build(new Shape(2, 3, 4), acc, maxBatch: 2);
        var x = RandomTensors.Uniform(48, 3);

        var node = Assert.IsType<Upsample2dNode>(net.Nodes[^1]);
        Assert.Equal(("UpsamplingNearest2d", "x3x2 nearest", new Shape(2, 9, 8)),
            (node.Kind, node.Describe(), node.OutputShape));
        TensorAssert.Close(Upsample2dDescriptor.Reference(new(2, 2, 3, 4, 3, 2), x.ToDouble()), net.Predict(x, 2),
            0, 0, "Sequential Upsample");
    }

    [Fact]
    public void OneScaleAppliesToBothAxes()
    {
        var g = new GraphBuilder();
        var y = new Sequential(new Upsample(2)).Apply(g, g.Input(new Shape(2, 3, 4)));

        Assert.Equal(new Shape(2, 6, 8), ModelSummary.Of(g, y).Rows[^1].OutputShape);
        Assert.Equal("x2 nearest", y.Describe());
    }

    [Fact]
    public void SummaryCountsNoMultiplyAddsAndKeepsTheReceptiveField()
    {
        // A copy has no multiply-adds. After a stride-2 conv (field 3, jump 2) an x2 upsampling keeps the field
        // and halves the jump, so a 3x3 conv after it sees 3 + 2 * 1 = 5 input pixels: its three upsampled
        // pixels come from two neighbouring outputs of the first conv.
        var g = new GraphBuilder();
        var h = g.Conv2d(g.Input(new Shape(1, 16, 16)), 2, 3, 2, 1, name: "down");
        h = g.Upsample2d(h, 2, name: "up");
        var y = g.Conv2d(h, 2, 3, 1, 1, name: "conv");
        var rows = ModelSummary.Of(g, y).Rows;
        var up = rows.Single(r => r.Name == "up");

        Assert.Equal((0L, 0L, new Shape(2, 16, 16), 3), (up.Parameters, up.MultiplyAdds, up.OutputShape,
            up.ReceptiveField));
        Assert.Equal(5, rows.Single(r => r.Name == "conv").ReceptiveField);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(2, -1)]
    public void RejectsScalesBelowOne(int scaleH, int scaleW)
    {
        var g = new GraphBuilder();
        var error = Assert.Throws<GraphException>(() =>
            ModelSummary.Of(g, g.Upsample2d(g.Input(new Shape(2, 3, 4)), scaleH, scaleW)));
        Assert.Contains("scale", error.Message);
    }
}
