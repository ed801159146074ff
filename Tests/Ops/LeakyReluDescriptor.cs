using System.Globalization;
using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Tests.Conformance;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;

namespace GpuCnn.Tests.Ops;

/// <summary>
/// The leaky ReLU: x where x &gt; 0, else slope * x, and dy or slope * dy by the same test on x, so that at x = 0
/// the gradient is the slope's (PyTorch's leaky_relu_backward). Cases are "slope/length": PyTorch's default slope, a
/// larger one, and a negative one, on lengths with SIMD tails and one long enough to be split across workers; every
/// fifth input is an exact zero (alternately +0 and -0) so that the convention at the kink is checked.
/// </summary>
internal sealed class LeakyReluDescriptor : OpDescriptor
{
    private static readonly string[] Cases = ["0.01/1", "0.01/37", "0.2/7", "0.2/1000", "0.2/70001", "-0.5/37"];

    private static readonly string[] Slopes = ["0.01", "0.2"];

    public override string Name => "LeakyRelu";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("forward", Cases, Forward),
        new("backward-adds", Cases, Backward),
    ];

    public override IEnumerable<KernelCheck> KernelGradients => [new("dx", Slopes, Gradient)];

    public override IEnumerable<OracleCheck> Oracle => [new("gradient-is-derivative", Slopes, OracleGradient)];

    public override IReadOnlyDictionary<string, LayerCase> Layers => Slopes.ToDictionary(s => $"leaky_relu-{s}",
        s => new LayerCase(new Shape(3, 4, 5), LayerData.AwayFromZero, [],
            (g, x) => g.LeakyRelu(x, Slope(s))));

    public override IReadOnlyList<string> FixtureOps => ["leaky_relu"];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) =>
        g.LeakyRelu(x, fixture.Float("negative_slope", 0.01f), "layer");

    /// <summary>y = x &gt; 0 ? x : slope x.</summary>
    public static double[] Forward(double[] x, double slope) => Array.ConvertAll(x, v => v > 0 ? v : slope * v);

    /// <summary>dx = dy where x &gt; 0, else slope dy (the slope at 0), a fresh gradient.</summary>
    public static double[] Backward(double[] x, double[] dy, double slope) =>
        x.Select((v, i) => v > 0 ? dy[i] : slope * dy[i]).ToArray();

    private static float Slope(string slope) => float.Parse(slope, CultureInfo.InvariantCulture);

    private static (float Slope, int Count) Parse(string item)
    {
        var parts = item.Split('/');
        return (Slope(parts[0]), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static float[] WithZeros(int count, int seed)
    {
        var x = RandomTensors.Uniform(count, seed, -3f, 3f);
        for (var i = 0; i < count; i += 5)
        {
            x[i] = i % 10 == 0 ? 0f : -0f;
        }

        return x;
    }

    private void Forward(Accelerator acc, string item)
    {
        var (slope, count) = Parse(item);
        var x = WithZeros(count, 1);
        var y = acc.Filled(count, float.NaN);
        acc.LeakyReluForward(acc.Upload(x), y, count, slope);

        TensorAssert.Close(Forward(x.ToDouble(), slope), y.ToArray(), 0, 1e-7, $"{Name} {item} y");
    }

    private void Backward(Accelerator acc, string item)
    {
        var (slope, count) = Parse(item);
        var x = WithZeros(count, 2);
        var (dy, before) = (RandomTensors.Uniform(count, 3), RandomTensors.Uniform(count, 4));
        var dx = acc.Upload(before);
        acc.LeakyReluBackward(acc.Upload(x), acc.Upload(dy), dx, count, slope);

        var expected = Expected.Add(before, Backward(x.ToDouble(), dy.ToDouble(), slope));
        TensorAssert.Close(expected, dx.ToArray(), 1e-7, 1e-6, $"{Name} {item} dx (added to prefill)");
    }

    private void Gradient(Accelerator acc, string slopeText)
    {
        const int Count = 50;
        var slope = Slope(slopeText);
        var x = RandomTensors.AwayFromZero(Count, 9, 0.05f).Select(v => 3 * v).ToArray();
        var r = RandomTensors.Uniform(Count, 10);
        var (xb, y, dx) = (acc.Upload(x), acc.Allocate(Count), acc.Filled(Count, 0f));
        acc.LeakyReluBackward(xb, acc.Upload(r), dx, Count, slope);

        KernelGradient.Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.LeakyReluForward(xb, y, Count, slope);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, KernelGradient.SmoothStep), dx, $"{Name} slope {slopeText} dx");
    }

    private void OracleGradient(string slopeText)
    {
        const int Count = 50;
        var slope = double.Parse(slopeText, CultureInfo.InvariantCulture);
        var x = RandomTensors.AwayFromZero(Count, 7, 0.01f).Select(v => 3.0 * v).ToArray();
        var r = RandomTensors.Uniform(Count, 8).ToDouble();

        Ops.OracleGradient.Check(Backward(x, r, slope), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(Forward(x, slope), r), Ops.OracleGradient.Step), $"{Name} dx");
    }
}
