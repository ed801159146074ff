using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Tests.Conformance;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>Row-wise log-softmax over the features of a flat input (PyTorch's LogSoftmax(dim=1) on (N, F), the
/// layout our Softmax uses) against this file's double-precision oracle.</summary>
internal sealed class LogSoftmaxDescriptor : OpDescriptor
{
    // rows x columns; 3x300 strides more than one work-group width along each row on OpenCL.
    private static readonly string[] Shapes = ["1x1", "1x10", "7x10", "7x37", "3x2", "3x300"];

    public override string Name => "LogSoftmax";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("forward", Shapes, Forward),
        new("forward-large-logits-stay-finite", ["4x9", "2x130"], ForwardLargeLogits),
        new("backward-adds", Shapes, Backward),
    ];

    public override IEnumerable<KernelCheck> KernelGradients => [new("dx", ["3x5", "2x9"], Gradient)];

    public override IEnumerable<OracleCheck> Oracle =>
    [
        new("gradient-is-derivative", ["3x5", "1x1"], OracleGradients),
        new("exp-of-rows-sums-to-one", ["5x7"], RowsAreLogProbabilities),
    ];

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["logsoftmax"] = new(new Shape(6), Smooth, [], (g, x) => g.LogSoftmax(x)),
        ["logsoftmax-after-flatten"] = new(new Shape(2, 2, 3), Smooth, [], (g, x) => g.LogSoftmax(g.Flatten(x))),
    };

    public override IReadOnlyList<string> FixtureOps => ["logsoftmax"];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) => g.LogSoftmax(x, "layer");

    /// <summary>y = (x - max) - log(sum(exp(x - max))) per row, in double. x, y:(rows, columns).</summary>
    internal static double[] Reference(double[] x, int rows, int columns)
    {
        var y = new double[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * columns, columns);
            var max = double.NegativeInfinity;
            foreach (var v in row)
            {
                max = Math.Max(max, v);
            }

            var sum = 0.0;
            foreach (var v in row)
            {
                sum += Math.Exp(v - max);
            }

            for (var c = 0; c < columns; c++)
            {
                y[r * columns + c] = row[c] - max - Math.Log(sum);
            }
        }

        return y;
    }

    /// <summary>dx = dy - exp(y) * sum(dy) per row: the softmax's Jacobian transposed, applied to dy.</summary>
    internal static double[] ReferenceBackward(double[] y, double[] dy, int rows, int columns)
    {
        var dx = new double[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            var sum = 0.0;
            for (var c = 0; c < columns; c++)
            {
                sum += dy[r * columns + c];
            }

            for (var c = 0; c < columns; c++)
            {
                var i = r * columns + c;
                dx[i] = dy[i] - Math.Exp(y[i]) * sum;
            }
        }

        return dx;
    }

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
        acc.LogSoftmaxForward(acc.Upload(x), y, rows, columns);

        TensorAssert.Close(Reference(x.ToDouble(), rows, columns), y.ToArray(), 1e-5, 1e-5, $"log softmax {shape} y");
    }

    private static void ForwardLargeLogits(Accelerator acc, string shape)
    {
        // Logits around +-1000 overflow exp() in float unless the row maximum is subtracted first; the outputs are
        // ordinary numbers (0 down to about -2000) and must come out finite and right.
        var (rows, columns) = Parse(shape);
        var x = RandomTensors.Uniform(rows * columns, 13, -1000f, 1000f);
        var y = acc.Filled(rows * columns, float.NaN);
        acc.LogSoftmaxForward(acc.Upload(x), y, rows, columns);

        var actual = y.ToArray();
        Assert.All(actual, v => Assert.True(float.IsFinite(v), $"log softmax {shape}: {v} is not finite"));
        TensorAssert.Close(Reference(x.ToDouble(), rows, columns), actual, 1e-3, 1e-5, $"log softmax {shape} y");
    }

    private static void Backward(Accelerator acc, string shape)
    {
        var (rows, columns) = Parse(shape);
        var y = Array.ConvertAll(Reference(RandomTensors.Uniform(rows * columns, 6, -3f, 3f).ToDouble(), rows,
            columns), v => (float)v);
        var (dy, before) = (RandomTensors.Uniform(rows * columns, 7), RandomTensors.Uniform(rows * columns, 8));
        var dx = acc.Upload(before);
        acc.LogSoftmaxBackward(acc.Upload(y), acc.Upload(dy), dx, rows, columns);

        var expected = Expected.Add(before, ReferenceBackward(y.ToDouble(), dy.ToDouble(), rows, columns));
        TensorAssert.Close(expected, dx.ToArray(), 1e-5, 1e-5, $"log softmax {shape} dx (added to prefill)");
    }

    private static void Gradient(Accelerator acc, string shape)
    {
        var (rows, columns) = Parse(shape);
        var (x, r) = (RandomTensors.Uniform(rows * columns, 11, -3f, 3f), RandomTensors.Uniform(rows * columns, 12));
        var (xb, y, dx) = (acc.Upload(x), acc.Allocate(rows * columns), acc.Filled(rows * columns, 0f));
        acc.LogSoftmaxForward(xb, y, rows, columns);
        acc.LogSoftmaxBackward(y, acc.Upload(r), dx, rows, columns);

        KernelGradient.Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.LogSoftmaxForward(xb, y, rows, columns);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, KernelGradient.SmoothStep), dx, "log softmax dx");
    }

    private static void OracleGradients(string shape)
    {
        var (rows, columns) = Parse(shape);
        var x = RandomTensors.Uniform(rows * columns, 9, -3f, 3f).ToDouble();
        var r = RandomTensors.Uniform(rows * columns, 10).ToDouble();
        var y = Reference(x, rows, columns);

        OracleGradient.Check(ReferenceBackward(y, r, rows, columns), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(Reference(x, rows, columns), r), OracleGradient.Step), "log softmax dx");
    }

    private static void RowsAreLogProbabilities(string shape)
    {
        // exp(y) is the softmax: each row's exponentials sum to one, and y agrees with the log of the shared
        // softmax oracle.
        var (rows, columns) = Parse(shape);
        var x = RandomTensors.Uniform(rows * columns, 14, -4f, 4f).ToDouble();
        var y = Reference(x, rows, columns);
        var softmax = ReferenceOps.Softmax(x, rows, columns);
        for (var r = 0; r < rows; r++)
        {
            Assert.Equal(1.0, y.Skip(r * columns).Take(columns).Sum(Math.Exp), 12);
        }

        TensorAssert.Close(Array.ConvertAll(softmax, v => Math.Log(v)), y, 1e-12, 1e-12,
            "log softmax against log(softmax)");
    }
}

/// <summary>LogSoftmax as a Sequential record, in the summary, and its shape rule.</summary>
public sealed class LogSoftmaxLayerTests
{
    [Fact]
    public void SequentialRecordBuildsTheNodeAndItsOutputIsLogSoftmaxOfTheFlattenedInput()
    {
        using var acc = new GpuCnn.Kernels.Cpu.CpuAccelerator(1);
        using var net = new Sequential(new Flatten(), new LogSoftmax()).Build(new Shape(2, 3, 2), acc, maxBatch: 2);
        var x = RandomTensors.Uniform(24, 3, -4f, 4f);

        Assert.Equal("LogSoftmax", net.Nodes[^1].Kind);
        TensorAssert.Close(LogSoftmaxDescriptor.Reference(x.ToDouble(), 2, 12), net.Predict(x, 2), 1e-5, 1e-5,
            "Sequential LogSoftmax");
    }

    [Fact]
    public void SummaryCountsNoParametersAndNoMultiplyAdds()
    {
        // exp, log and subtractions only: no multiply-adds, as for Softmax.
        var g = new GraphBuilder();
        var y = g.LogSoftmax(g.Flatten(g.Input(new Shape(4, 5, 5))), "logits");
        var row = ModelSummary.Of(g, y).Rows.Single(r => r.Name == "logits");

        Assert.Equal((0L, 0L, new Shape(100)), (row.Parameters, row.MultiplyAdds, row.OutputShape));
    }

    [Fact]
    public void NeedsAFlatInput()
    {
        var g = new GraphBuilder();
        var error = Assert.Throws<GraphException>(() => ModelSummary.Of(g, g.LogSoftmax(g.Input(new Shape(2, 3, 4)))));
        Assert.Contains("Flatten", error.Message);
    }
}
