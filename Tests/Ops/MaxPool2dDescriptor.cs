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

/// <summary>MaxPool2d against <see cref="ReferenceOps.MaxPool2dForward"/>. Inputs are distinct so that the winner
/// of each window is unambiguous; ties, NaN and padding have their own tests in Pool2dOracleTests.</summary>
internal sealed class MaxPool2dDescriptor : OpDescriptor
{
    /// <summary>Pooling geometries, shared with <see cref="AvgPool2dDescriptor"/>.</summary>
    internal static readonly Dictionary<string, Pool2dGeometry> Cases = new()
    {
        ["batch1-9x13-k2s2-floor"] = new(1, 3, 9, 13, 2, 2, 2, 2),
        ["batch7-k3s2-pad1"] = new(7, 2, 9, 13, 3, 3, 2, 2, 1, 1),
        ["k3s3-pad1-10x11"] = new(2, 3, 10, 11, 3, 3, 3, 3, 1, 1),
        ["k2x3-s1x2-pad1"] = new(2, 2, 7, 9, 2, 3, 1, 2, 1, 1),
        ["overlapping-k3s1-pad1"] = new(2, 2, 5, 6, 3, 3, 1, 1, 1, 1),
        ["k4s3-pad2-clipped-edge"] = new(3, 1, 4, 7, 4, 4, 3, 3, 2, 2),
        ["lenet-s2"] = new(7, 6, 28, 28, 2, 2, 2, 2),
        // Stride 1 with at least eight outputs per row: the CPU's vector path, its edges and its scalar tail.
        ["seednet-k2s1-13x13"] = new(3, 4, 13, 13, 2, 2, 1, 1),
        ["k3s1-pad1-wide"] = new(2, 2, 6, 21, 3, 3, 1, 1, 1, 1),
        // Ceil mode (GoogLeNet, ZFNet): the last window hangs over the edge and is clipped.
        ["ceil-k3s2-112"] = new(1, 2, 12, 11, 3, 3, 2, 2, CeilMode: true),
        ["ceil-k2s2-odd"] = new(2, 3, 7, 9, 2, 2, 2, 2, CeilMode: true),
        ["ceil-k3s2-pad1"] = new(2, 2, 8, 7, 3, 3, 2, 2, 1, 1, CeilMode: true),
        ["ceil-k3s1-wide"] = new(1, 2, 5, 19, 3, 3, 1, 1, CeilMode: true),
        ["ceil-k3s3-pad1"] = new(1, 1, 6, 7, 3, 3, 3, 3, 1, 1, CeilMode: true),
        // ceil((5 + 2 - 2)/2) + 1 = 4 windows, but the fourth would start in the bottom padding: PyTorch keeps 3.
        ["ceil-k2s2-pad1-drops-window-in-padding"] = new(1, 1, 5, 5, 2, 2, 2, 2, 1, 1, CeilMode: true),
    };

    /// <summary>Small geometries for central differences, shared with <see cref="AvgPool2dDescriptor"/>.</summary>
    internal static readonly Dictionary<string, Pool2dGeometry> GradientCases = new()
    {
        ["k3s2-pad1"] = new(2, 2, 5, 7, 3, 3, 2, 2, 1, 1),
        ["k2x3-s1x2-pad1"] = new(1, 3, 6, 5, 2, 3, 1, 2, 1, 1),
    };

    public override string Name => "MaxPool2d";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("forward", Cases.Keys, Forward),
        new("backward-adds", Cases.Keys, Backward),
    ];

    public override IEnumerable<KernelCheck> KernelGradients => [new("dx", GradientCases.Keys, Gradient)];

    public override IEnumerable<OracleCheck> Oracle =>
    [
        // The geometry is the one max and average pooling share.
        new("geometry-agrees-with-counted-output-size", Cases.Keys,
            name => Assert.Equal(ReferenceOps.PoolOutput(Cases[name]), (Cases[name].P, Cases[name].Q))),
        new("gradient-is-derivative", GradientCases.Keys, OracleGradient),
    ];

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["maxpool-k3s2-pad1"] = new(new Shape(2, 7, 6), Distinct, [], (g, x) => g.MaxPool2d(x, 3, 2, 1)),
        ["maxpool-k3s2-ceil"] = new(new Shape(2, 8, 7), Distinct, [], (g, x) => g.MaxPool2d(x, 3, 2, ceilMode: true)),
    };

    public override IReadOnlyList<string> FixtureOps => ["maxpool"];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) => g.MaxPool2d(x,
        fixture.Int("kernel"), fixture.Int("stride"), fixture.Int("padding"), "layer", fixture.Get("ceil", false));

    private static void Forward(Accelerator acc, string name)
    {
        var g = Cases[name];
        var x = RandomTensors.Distinct(g.InputLength, 1, 0.01f);
        var y = acc.Filled(g.OutputLength, float.NaN);
        acc.MaxPool2dForward(g, acc.Upload(x), y);

        // A maximum is one of the inputs, so it must be exact.
        TensorAssert.Close(ReferenceOps.MaxPool2dForward(g, x.ToDouble()), y.ToArray(), 0, 0, $"max pool {name} y");
    }

    private static void Backward(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (x, dy, before) = (RandomTensors.Distinct(g.InputLength, 2, 0.01f),
            RandomTensors.Uniform(g.OutputLength, 3), RandomTensors.Uniform(g.InputLength, 4));
        var dx = acc.Upload(before);
        acc.MaxPool2dBackward(g, acc.Upload(x), acc.Upload(dy), dx);

        var expected = Expected.Add(before, ReferenceOps.MaxPool2dBackward(g, x.ToDouble(), dy.ToDouble()));
        TensorAssert.Close(expected, dx.ToArray(), 1e-6, 1e-6, $"max pool {name} dx (added to prefill)");
    }

    private static void Gradient(Accelerator acc, string name)
    {
        var g = GradientCases[name];

        // Values 0.05 apart and a step of 0.01: no perturbation changes a window's winner.
        var x = RandomTensors.Distinct(g.InputLength, 5, 0.05f);
        var r = RandomTensors.Uniform(g.OutputLength, 6);
        var (xb, y, dx) = (acc.Upload(x), acc.Allocate(g.OutputLength), acc.Filled(g.InputLength, 0f));
        acc.MaxPool2dBackward(g, xb, acc.Upload(r), dx);

        KernelGradient.Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.MaxPool2dForward(g, xb, y);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, KernelGradient.SmoothStep), dx, $"max pool {name} dx");
    }

    private static void OracleGradient(string name)
    {
        var g = GradientCases[name];

        // Distinct values 0.01 apart: a step of 1e-5 cannot change which element wins a window.
        var x = RandomTensors.Distinct(g.InputLength, 5, 0.01f).ToDouble();
        var r = RandomTensors.Uniform(g.OutputLength, 6).ToDouble();

        Ops.OracleGradient.Check(ReferenceOps.MaxPool2dBackward(g, x, r), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(ReferenceOps.MaxPool2dForward(g, x), r), Ops.OracleGradient.Step),
            $"max pool {name} dx");
    }
}
