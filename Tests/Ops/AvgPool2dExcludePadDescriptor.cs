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

/// <summary>AvgPool2d with count_include_pad=False (the divisor counts only a window's cells inside the input)
/// against this file's oracle, written on <see cref="ReferenceOps.ForEachPoolWindow"/>, over the geometries of
/// <see cref="MaxPool2dDescriptor"/>. Today's count_include_pad=True stays with <see cref="AvgPool2dDescriptor"/>.
/// </summary>
internal sealed class AvgPool2dExcludePadDescriptor : OpDescriptor
{
    public override string Name => "AvgPool2dExcludePad";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("forward", Cases.Keys, Forward),
        new("backward-adds", Cases.Keys, Backward),
    ];

    public override IEnumerable<KernelCheck> KernelGradients => [new("dx", GradientCases.Keys, Gradient)];

    public override IEnumerable<OracleCheck> Oracle =>
    [
        new("gradient-is-derivative", GradientCases.Keys, OracleGradients),
        new("divisor-differs-from-count-include-pad-only-at-padding", Cases.Keys, DiffersOnlyAtPadding),
    ];

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["avgpool-exclude-pad-k3s2-pad1"] = new(new Shape(2, 7, 6), Smooth, [],
            (g, x) => g.AvgPool2d(x, 3, 2, 1, countIncludePad: false)),
        ["avgpool-exclude-pad-k3s2-pad1-ceil"] = new(new Shape(2, 8, 7), Smooth, [],
            (g, x) => g.AvgPool2d(x, 3, 2, 1, ceilMode: true, countIncludePad: false)),
    };

    public override IReadOnlyList<string> FixtureOps => ["avgpool_exclude_pad"];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) => g.AvgPool2d(x,
        fixture.Int("kernel"), fixture.Int("stride"), fixture.Int("padding"), "layer", fixture.Get("ceil", false),
        countIncludePad: false);

    private static Dictionary<string, Pool2dGeometry> Cases =>
        MaxPool2dDescriptor.Cases.ToDictionary(c => c.Key, c => c.Value with { CountIncludePad = false });

    private static Dictionary<string, Pool2dGeometry> GradientCases => new()
    {
        ["k3s2-pad1"] = new(2, 2, 5, 7, 3, 3, 2, 2, 1, 1, CountIncludePad: false),
        ["k2x3-s1x2-pad1"] = new(1, 3, 6, 5, 2, 3, 1, 2, 1, 1, CountIncludePad: false),
        ["k3s2-pad1-ceil"] = new(1, 2, 6, 5, 3, 3, 2, 2, 1, 1, true, false),
    };

    /// <summary>y = the mean of each window's cells inside the input, in double.</summary>
    internal static double[] Reference(in Pool2dGeometry g, double[] x)
    {
        var y = new List<double>();
        ReferenceOps.ForEachPoolWindow(g, (o, area, cells) => y.Add(cells.Sum(i => x[i]) / cells.Count));
        return [.. y];
    }

    /// <summary>dx gains dy / (cells inside the input) on each of a window's cells, in double.</summary>
    internal static double[] ReferenceBackward(in Pool2dGeometry g, double[] dy)
    {
        var dx = new double[g.N * g.C * g.H * g.W];
        ReferenceOps.ForEachPoolWindow(g, (o, area, cells) =>
        {
            foreach (var i in cells)
            {
                dx[i] += dy[o] / cells.Count;
            }
        });
        return dx;
    }

    private static void Forward(Accelerator acc, string name)
    {
        var g = Cases[name];
        var x = RandomTensors.Uniform(g.InputLength, 5);
        var y = acc.Filled(g.OutputLength, float.NaN);
        acc.AvgPool2dForward(g, acc.Upload(x), y);

        TensorAssert.Close(Reference(g, x.ToDouble()), y.ToArray(), 1e-6, 1e-5, $"avg pool exclude pad {name} y");
    }

    private static void Backward(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (dy, before) = (RandomTensors.Uniform(g.OutputLength, 6), RandomTensors.Uniform(g.InputLength, 7));
        var dx = acc.Upload(before);
        acc.AvgPool2dBackward(g, acc.Upload(dy), dx);

        var expected = Expected.Add(before, ReferenceBackward(g, dy.ToDouble()));
        TensorAssert.Close(expected, dx.ToArray(), 1e-6, 1e-5, $"avg pool exclude pad {name} dx (added to prefill)");
    }

    private static void Gradient(Accelerator acc, string name)
    {
        var g = GradientCases[name];
        var (x, r) = (RandomTensors.Uniform(g.InputLength, 7), RandomTensors.Uniform(g.OutputLength, 8));
        var (xb, y, dx) = (acc.Upload(x), acc.Allocate(g.OutputLength), acc.Filled(g.InputLength, 0f));
        acc.AvgPool2dBackward(g, acc.Upload(r), dx);

        KernelGradient.Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.AvgPool2dForward(g, xb, y);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, KernelGradient.LinearStep), dx, $"avg pool exclude pad {name} dx");
    }

    private static void OracleGradients(string name)
    {
        var g = GradientCases[name];
        var x = RandomTensors.Uniform(g.InputLength, 5).ToDouble();
        var r = RandomTensors.Uniform(g.OutputLength, 6).ToDouble();

        OracleGradient.Check(ReferenceBackward(g, r), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(Reference(g, x), r), OracleGradient.Step), $"avg pool exclude pad {name} dx");
    }

    private static void DiffersOnlyAtPadding(string name)
    {
        // Against count_include_pad=True: a window whose padded area equals its cells inside the input must give
        // the same mean; one that covers padding must give the larger divisor's mean scaled by area / cells.
        var g = Cases[name];
        var x = RandomTensors.Uniform(g.InputLength, 9).ToDouble();
        var (excluded, included) = (Reference(g, x), ReferenceOps.AvgPool2dForward(g with { CountIncludePad = true },
            x));
        var coversPadding = 0;
        ReferenceOps.ForEachPoolWindow(g, (o, area, cells) =>
        {
            coversPadding += area > cells.Count ? 1 : 0;
            Assert.Equal(included[o] * area / cells.Count, excluded[o], 12);
        });
        Assert.Equal(g.PadH > 0 || g.PadW > 0, coversPadding > 0);
    }
}

/// <summary>count_include_pad threaded through the Sequential record and the summary.</summary>
public sealed class AvgPool2dExcludePadLayerTests
{
    [Fact]
    public void SequentialRecordPassesTheFlagAndOnlyBorderWindowsChange()
    {
        using var acc = new GpuCnn.Kernels.Cpu.CpuAccelerator(1);
        var shape = new Shape(2, 7, 6);
        using var excluded = new Sequential(new AvgPool2d(3, 2, 1, CountIncludePad: false)).Build(shape, acc, 1);
        using var included = new Sequential(new AvgPool2d(3, 2, 1)).Build(shape, acc, 1);
        var x = RandomTensors.Uniform(shape.Size, 4);

        var node = Assert.IsType<Pool2dNode>(excluded.Nodes[^1]);
        Assert.False(node.CountIncludePad);
        Assert.True(Assert.IsType<Pool2dNode>(included.Nodes[^1]).CountIncludePad);
        Assert.Equal("3x3/2 pad 1 exclude pad", node.Describe());
        var (a, b) = (excluded.Predict(x, 1), included.Predict(x, 1));
        TensorAssert.Close(AvgPool2dExcludePadDescriptor.Reference(node.Geometry, x.ToDouble()), a, 1e-6, 1e-5,
            "Sequential AvgPool2d(CountIncludePad: false)");
        // Output (1, 1) of the 4x3 map covers rows 1..3 and columns 1..3: no padding, the same mean either way.
        Assert.Equal(b[1 * 3 + 1], a[1 * 3 + 1]);
        Assert.NotEqual(b[0], a[0]);
    }

    [Fact]
    public void SummaryCountsNoMultiplyAddsAsForEveryPooling()
    {
        var g = new GraphBuilder();
        var y = g.AvgPool2d(g.Input(new Shape(3, 8, 7)), 3, 2, 1, "pool", ceilMode: true, countIncludePad: false);
        var row = ModelSummary.Of(g, y).Rows.Single(r => r.Name == "pool");

        Assert.Equal((0L, new Shape(3, 5, 4), 3), (row.MultiplyAdds, row.OutputShape, row.ReceptiveField));
    }
}
