using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Tests.Conformance;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>Softmax over the last axis against <see cref="ReferenceOps.Softmax"/>; large logits have their own test
/// in ElementwiseOracleTests.</summary>
internal sealed class SoftmaxDescriptor : OpDescriptor
{
    // rows x columns
    private static readonly string[] Shapes = ["1x1", "1x10", "7x10", "7x37", "3x2"];

    public override string Name => "Softmax";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("forward", Shapes, Forward),
        new("backward-adds", Shapes, Backward),
    ];

    public override IEnumerable<KernelCheck> KernelGradients => [new("dx", ["3x5"], Gradient)];

    public override IEnumerable<OracleCheck> Oracle => [new("gradient-is-derivative", ["3x5"], OracleGradients)];

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["softmax"] = new(new Shape(6), Smooth, [], (g, x) => g.Softmax(x)),
    };

    public override IReadOnlyList<string> FixtureOps => ["softmax"];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) => g.Softmax(x, "layer");

    private static (int Rows, int Columns) Parse(string shape)
    {
        var parts = shape.Split('x').Select(int.Parse).ToArray();
        return (parts[0], parts[1]);
    }

    private static void Forward(Accelerator acc, string shape)
    {
        var (rows, columns) = Parse(shape);
        var x = RandomTensors.Uniform(rows * columns, 5, -5f, 5f);
        var y = acc.Filled(rows * columns, float.NaN);
        acc.SoftmaxForward(acc.Upload(x), y, rows, columns);

        TensorAssert.Close(ReferenceOps.Softmax(x.ToDouble(), rows, columns), y.ToArray(), 1e-7, 1e-5,
            $"softmax {shape} y");
    }

    private static void Backward(Accelerator acc, string shape)
    {
        var (rows, columns) = Parse(shape);
        var y = Array.ConvertAll(ReferenceOps.Softmax(RandomTensors.Uniform(rows * columns, 6, -3f, 3f).ToDouble(),
            rows, columns), v => (float)v);
        var (dy, before) = (RandomTensors.Uniform(rows * columns, 7), RandomTensors.Uniform(rows * columns, 8));
        var dx = acc.Upload(before);
        acc.SoftmaxBackward(acc.Upload(y), acc.Upload(dy), dx, rows, columns);

        var expected = Expected.Add(before, ReferenceOps.SoftmaxBackward(y.ToDouble(), dy.ToDouble(), rows, columns));
        TensorAssert.Close(expected, dx.ToArray(), 1e-6, 1e-5, $"softmax {shape} dx (added to prefill)");
    }

    private static void Gradient(Accelerator acc, string shape)
    {
        var (rows, columns) = Parse(shape);
        var (x, r) = (RandomTensors.Uniform(rows * columns, 11, -3f, 3f), RandomTensors.Uniform(rows * columns, 12));
        var (xb, y, dx) = (acc.Upload(x), acc.Allocate(rows * columns), acc.Filled(rows * columns, 0f));
        acc.SoftmaxForward(xb, y, rows, columns);
        acc.SoftmaxBackward(y, acc.Upload(r), dx, rows, columns);

        KernelGradient.Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.SoftmaxForward(xb, y, rows, columns);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, KernelGradient.SmoothStep), dx, "softmax dx");
    }

    private static void OracleGradients(string shape)
    {
        var (rows, columns) = Parse(shape);
        var x = RandomTensors.Uniform(rows * columns, 9, -3f, 3f).ToDouble();
        var r = RandomTensors.Uniform(rows * columns, 10).ToDouble();
        var y = ReferenceOps.Softmax(x, rows, columns);

        OracleGradient.Check(ReferenceOps.SoftmaxBackward(y, r, rows, columns), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(ReferenceOps.Softmax(x, rows, columns), r), OracleGradient.Step),
            "softmax dx");
    }
}
