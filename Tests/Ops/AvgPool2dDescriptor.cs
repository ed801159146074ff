using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Tests.Conformance;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>AvgPool2d (count_include_pad=True) against <see cref="ReferenceOps.AvgPool2dForward"/>, over the
/// geometries of <see cref="MaxPool2dDescriptor"/>; the divisor at the padding has its own tests in
/// Pool2dOracleTests.</summary>
internal sealed class AvgPool2dDescriptor : OpDescriptor
{
    public override string Name => "AvgPool2d";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("forward", MaxPool2dDescriptor.Cases.Keys, Forward),
        new("backward-adds", MaxPool2dDescriptor.Cases.Keys, Backward),
    ];

    public override IEnumerable<KernelCheck> KernelGradients =>
        [new("dx", MaxPool2dDescriptor.GradientCases.Keys, Gradient)];

    public override IEnumerable<OracleCheck> Oracle =>
        [new("gradient-is-derivative", MaxPool2dDescriptor.GradientCases.Keys, OracleGradient)];

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["avgpool-k3s2-pad1"] = new(new Shape(2, 7, 6), Smooth, [], (g, x) => g.AvgPool2d(x, 3, 2, 1)),
        ["avgpool-k2"] = new(new Shape(3, 5, 4), Smooth, [], (g, x) => g.AvgPool2d(x, 2)),
        ["avgpool-k3s2-pad1-ceil"] = new(new Shape(2, 8, 7), Smooth, [],
            (g, x) => g.AvgPool2d(x, 3, 2, 1, ceilMode: true)),
    };

    public override IReadOnlyList<string> FixtureOps => ["avgpool"];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) => g.AvgPool2d(x,
        fixture.Int("kernel"), fixture.Int("stride"), fixture.Int("padding"), "layer", fixture.Get("ceil", false));

    private static void Forward(Accelerator acc, string name)
    {
        var g = MaxPool2dDescriptor.Cases[name];
        var x = RandomTensors.Uniform(g.InputLength, 5);
        var y = acc.Filled(g.OutputLength, float.NaN);
        acc.AvgPool2dForward(g, acc.Upload(x), y);

        TensorAssert.Close(ReferenceOps.AvgPool2dForward(g, x.ToDouble()), y.ToArray(), 1e-6, 1e-5,
            $"avg pool {name} y");
    }

    private static void Backward(Accelerator acc, string name)
    {
        var g = MaxPool2dDescriptor.Cases[name];
        var (dy, before) = (RandomTensors.Uniform(g.OutputLength, 6), RandomTensors.Uniform(g.InputLength, 7));
        var dx = acc.Upload(before);
        acc.AvgPool2dBackward(g, acc.Upload(dy), dx);

        var expected = Expected.Add(before, ReferenceOps.AvgPool2dBackward(g, dy.ToDouble()));
        TensorAssert.Close(expected, dx.ToArray(), 1e-6, 1e-5, $"avg pool {name} dx (added to prefill)");
    }

    private static void Gradient(Accelerator acc, string name)
    {
        var g = MaxPool2dDescriptor.GradientCases[name];
        var (x, r) = (RandomTensors.Uniform(g.InputLength, 7), RandomTensors.Uniform(g.OutputLength, 8));
        var (xb, y, dx) = (acc.Upload(x), acc.Allocate(g.OutputLength), acc.Filled(g.InputLength, 0f));
        acc.AvgPool2dBackward(g, acc.Upload(r), dx);

        KernelGradient.Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.AvgPool2dForward(g, xb, y);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, KernelGradient.LinearStep), dx, $"avg pool {name} dx");
    }

    private static void OracleGradient(string name)
    {
        var g = MaxPool2dDescriptor.GradientCases[name];
        var x = RandomTensors.Distinct(g.InputLength, 5, 0.01f).ToDouble();
        var r = RandomTensors.Uniform(g.OutputLength, 6).ToDouble();

        Ops.OracleGradient.Check(ReferenceOps.AvgPool2dBackward(g, r), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(ReferenceOps.AvgPool2dForward(g, x), r), Ops.OracleGradient.Step),
            $"avg pool {name} dx");
    }
}
