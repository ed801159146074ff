using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Conformance;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>LocalResponseNorm against <see cref="ReferenceNormalization.LrnForward"/>; a worked example has its own
/// test in NormalizationOracleTests.</summary>
internal sealed class LocalResponseNormDescriptor : OpDescriptor
{
    private static readonly Dictionary<string, LrnGeometry> Cases = new()
    {
        ["size1-c4"] = new(2, 4, 6, 1, 0.3f, 0.75f, 1f),
        ["size2-even-c5"] = new(2, 5, 7, 2, 0.5f, 0.75f, 1f),
        ["size3-c2-fewer-channels"] = new(3, 2, 5, 3, 1f, 0.5f, 2f),
        ["size5-c3-fewer-channels"] = new(2, 3, 9, 5, 2f, 0.75f, 1f),
        ["size5-c12-13x13"] = new(2, 12, 169, 5, 0.4f, 0.75f, 2f),
        ["size4-c7-beta0.6"] = new(2, 7, 10, 4, 0.8f, 0.6f, 1f),
        ["size3-c6-beta1"] = new(1, 6, 70, 3, 0.6f, 1f, 1.5f),
        ["alexnet-c16-27x27"] = new(2, 16, 27 * 27, 5, 5e-4f, 0.75f, 2f),
        ["size5-c9-1x1"] = new(5, 9, 1, 5, 1f, 0.75f, 1f),

        // Wide planes: the CPU backend cuts each image into strips (here one of 1632 positions and a rest).
        ["size5-c40-45x45-strips"] = new(2, 40, 45 * 45, 5, 1f, 0.75f, 2f),
    };

    // Alpha large enough that the window's cross terms carry real weight in the gradient.
    private static readonly Dictionary<string, LrnGeometry> GradientCases = new()
    {
        ["size2-c4"] = new(2, 4, 3, 2, 1.5f, 0.75f, 1f),
        ["size5-c3"] = new(1, 3, 4, 5, 2f, 0.6f, 1.5f),
        ["size3-c6"] = new(2, 6, 2, 3, 1f, 0.75f, 2f),
    };

    public override string Name => "LocalResponseNorm";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("forward", Cases.Keys, Forward),
        new("backward-adds", Cases.Keys, Backward),
    ];

    public override IEnumerable<KernelCheck> KernelGradients => [new("dx", GradientCases.Keys, Gradient)];

    public override IEnumerable<OracleCheck> Oracle =>
        [new("gradient-is-derivative", GradientCases.Keys, OracleGradients)];

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["lrn-alexnet"] = new(new Shape(7, 3, 4), Smooth, [], (g, x) => g.LocalResponseNorm(x, 5, 5e-4f, 0.75f, 2f)),
        ["lrn-size2-large-alpha"] = new(new Shape(5, 2, 3), Smooth, [],
            (g, x) => g.LocalResponseNorm(x, 2, 2f, 0.75f, 1f)),
    };

    public override IReadOnlyList<string> FixtureOps => ["lrn"];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) => g.LocalResponseNorm(x,
        fixture.Int("size"), fixture.Float("alpha", 1e-4f), fixture.Float("beta", 0.75f), fixture.Float("k", 1f),
        "layer");

    private static void Forward(Accelerator acc, string name)
    {
        var g = Cases[name];
        var x = RandomTensors.Uniform(g.Length, 30, -2f, 2f);
        var (y, scale) = (acc.Filled(g.Length, float.NaN), acc.Filled(g.Length, float.NaN));
        acc.LrnForward(g, acc.Upload(x), y, scale);

        var expected = ReferenceNormalization.LrnForward(g, x.ToDouble());
        TensorAssert.Close(expected.Scale, scale.ToArray(), 1e-6, 1e-6, $"lrn {name} scale");
        TensorAssert.Close(expected.Y, y.ToArray(), 1e-6, 1e-5, $"lrn {name} y");
    }

    private static void Backward(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (x, dy, before) = (RandomTensors.Uniform(g.Length, 31, -2f, 2f), RandomTensors.Uniform(g.Length, 32),
            RandomTensors.Uniform(g.Length, 33));
        var (xb, y, scale, dx) = (acc.Upload(x), acc.Allocate(g.Length), acc.Allocate(g.Length), acc.Upload(before));
        acc.LrnForward(g, xb, y, scale);
        acc.LrnBackward(g, xb, y, scale, acc.Upload(dy), dx);

        var expected = Expected.Add(before, ReferenceNormalization.LrnBackward(g, x.ToDouble(), dy.ToDouble()));
        TensorAssert.Close(expected, dx.ToArray(), 1e-5, 1e-5, $"lrn {name} dx (added to prefill)");
    }

    private static void Gradient(Accelerator acc, string name)
    {
        var g = GradientCases[name];
        var (x, r) = (RandomTensors.Uniform(g.Length, 23, -2f, 2f), RandomTensors.Uniform(g.Length, 24));
        var (xb, y, scale, dx) = (acc.Upload(x), acc.Allocate(g.Length), acc.Allocate(g.Length),
            acc.Filled(g.Length, 0f));
        acc.LrnForward(g, xb, y, scale);
        acc.LrnBackward(g, xb, y, scale, acc.Upload(r), dx);

        KernelGradient.Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.LrnForward(g, xb, y, scale);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, KernelGradient.SmoothStep), dx, $"lrn {name} dx");
    }

    private static void OracleGradients(string name)
    {
        var g = GradientCases[name];
        var x = RandomTensors.Uniform(g.Length, 25, -2f, 2f).ToDouble();
        var r = RandomTensors.Uniform(g.Length, 26).ToDouble();

        OracleGradient.Check(ReferenceNormalization.LrnBackward(g, x, r), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(ReferenceNormalization.LrnForward(g, x).Y, r), OracleGradient.Step),
            $"lrn {name} dx");
    }
}
