using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Conformance;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Ops;

/// <summary>
/// An element-wise activation: a subclass gives its <see cref="ActivationKind"/>, its double-precision oracle
/// (f and f' in terms of the input x and the output y) and its layer; this class runs the kernels on lengths that
/// include a single element, tails that do not fill a SIMD vector and one long enough to be split across workers,
/// checks the gradients, and builds the PyTorch fixture named after the op in lower case.
/// </summary>
internal abstract class ActivationDescriptor : OpDescriptor
{
    private const int GradientCount = 50;

    private static readonly string[] Lengths = ["1", "7", "37", "1000", "70001"];

    /// <summary>The kind the kernels are called with.</summary>
    public abstract ActivationKind Kind { get; }

    public override string Name => Kind.ToString();

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("forward", Lengths, Forward),
        new("backward-adds", Lengths, Backward),
        new("backward-overwrites", Lengths, BackwardOverwrite),
    ];

    public override IEnumerable<KernelCheck> KernelGradients => [new("dx", [$"{GradientCount}"], Gradient)];

    public override IEnumerable<OracleCheck> Oracle =>
        [new("gradient-is-derivative", [$"{GradientCount}"], OracleGradient)];

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        [FixtureOps[0]] = new(new Shape(3, 4, 5), LayerData.AwayFromZero, [], (g, x) => Build(g, x, null)),
    };

    public override IReadOnlyList<string> FixtureOps => [Name.ToLowerInvariant()];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) => Build(g, x, "layer");

    /// <summary>The oracle's y = f(x) for one element.</summary>
    public abstract double Function(double x);

    /// <summary>The oracle's dy/dx for one element, from the input x and the output y = f(x).</summary>
    public abstract double Derivative(double x, double y);

    /// <summary>The layer in a graph: <c>g.Relu(x, name)</c> and so on.</summary>
    public abstract Node Build(GraphBuilder g, Node x, string? name);

    /// <summary>The descriptor of <paramref name="kind"/>; a kind without one is an error, never a fallback.</summary>
    public static ActivationDescriptor For(ActivationKind kind) =>
        OpRegistry.All.OfType<ActivationDescriptor>().SingleOrDefault(d => d.Kind == kind) ??
        throw new ArgumentOutOfRangeException(nameof(kind), kind, "No activation descriptor in Tests/Ops.");

    /// <summary>y = f(x), element by element.</summary>
    public double[] Forward(double[] x) => Array.ConvertAll(x, Function);

    /// <summary>dx = dy f'(x), element by element, a fresh gradient.</summary>
    public double[] Backward(double[] x, double[] y, double[] dy) =>
        x.Select((v, i) => dy[i] * Derivative(v, y[i])).ToArray();

    private void Forward(Accelerator acc, string length)
    {
        var count = int.Parse(length);
        var x = RandomTensors.Uniform(count, 1, -4f, 4f);
        var y = acc.Filled(count, float.NaN);
        acc.ActivationForward(Kind, acc.Upload(x), y, count);

        TensorAssert.Close(Forward(x.ToDouble()), y.ToArray(), 1e-6, 1e-5, $"{Name}/{count} y");
    }

    private void Backward(Accelerator acc, string length)
    {
        var count = int.Parse(length);

        // y is a genuine forward output of x (ReLU's has exact zeros, where the gradient must not pass).
        var x = RandomTensors.Uniform(count, 2, -4f, 4f);
        var y = Array.ConvertAll(Forward(x.ToDouble()), v => (float)v);
        var (dy, before) = (RandomTensors.Uniform(count, 3), RandomTensors.Uniform(count, 4));
        var dx = acc.Upload(before);
        acc.ActivationBackward(Kind, acc.Upload(x), acc.Upload(y), acc.Upload(dy), dx, count);

        var expected = Expected.Add(before, Backward(x.ToDouble(), y.ToDouble(), dy.ToDouble()));
        TensorAssert.Close(expected, dx.ToArray(), 1e-6, 1e-5, $"{Name}/{count} dx (added to prefill)");
    }

    private void BackwardOverwrite(Accelerator acc, string length)
    {
        var count = int.Parse(length);

        // dx starts as NaN, past the end too: an overwrite must store every element and never read what was there,
        // and leave what lies beyond count alone.
        var x = RandomTensors.Uniform(count, 5, -4f, 4f);
        var y = Array.ConvertAll(Forward(x.ToDouble()), v => (float)v);
        var dy = RandomTensors.Uniform(count, 6);
        var dx = acc.Filled(count + 3, float.NaN);
        acc.ActivationBackward(Kind, acc.Upload(x), acc.Upload(y), acc.Upload(dy), dx, count, overwrite: true);

        var result = dx.ToArray();
        TensorAssert.Close(Backward(x.ToDouble(), y.ToDouble(), dy.ToDouble()), result[..count], 1e-6, 1e-5,
            $"{Name}/{count} dx (overwritten)");
        Assert.All(result[count..], v => Assert.True(float.IsNaN(v), $"{Name}/{count}: an element past count changed"));
    }

    private void Gradient(Accelerator acc, string length)
    {
        var count = int.Parse(length);
        var x = RandomTensors.AwayFromZero(count, 9, 0.05f).Select(v => 3 * v).ToArray();
        var r = RandomTensors.Uniform(count, 10);
        var (xb, y, dx) = (acc.Upload(x), acc.Allocate(count), acc.Filled(count, 0f));
        acc.ActivationForward(Kind, xb, y, count);
        acc.ActivationBackward(Kind, xb, y, acc.Upload(r), dx, count);

        KernelGradient.Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.ActivationForward(Kind, xb, y, count);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, KernelGradient.SmoothStep), dx, $"{Name} dx");
    }

    private void OracleGradient(string length)
    {
        var count = int.Parse(length);
        var x = RandomTensors.AwayFromZero(count, 7, 0.01f).Select(v => 3.0 * v).ToArray();
        var r = RandomTensors.Uniform(count, 8).ToDouble();
        var y = Forward(x);

        Ops.OracleGradient.Check(Backward(x, y, r), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(Forward(x), r), Ops.OracleGradient.Step), $"{Kind} dx");
    }
}
