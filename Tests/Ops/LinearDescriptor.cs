using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Tests.Conformance;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>Linear and its two kernels: row-major GEMM in all four transpose combinations against
/// <see cref="ReferenceOps.Gemm"/>, and the per-channel bias addition against <see cref="ReferenceOps.BiasAdd"/>.
/// GEMM's edge cases (an empty inner dimension, elements beyond m x n) have their own tests in GemmOracleTests.
/// </summary>
internal sealed class LinearDescriptor : OpDescriptor
{
    // m x n x k; sizes avoid multiples of 8 and 16 so that every tile has a ragged edge.
    private static readonly string[] GemmShapes = ["1x1x1", "7x13x9", "17x5x33", "33x65x17", "1x70x3"];

    private static readonly string[] Transposes = ["NN", "NT", "TN", "TT"];

    // alpha, beta: overwrite, scale and accumulate.
    private static readonly string[] Scalars = ["1,0", "0.5,2", "-1.5,1"];

    // outer x channels x inner.
    private static readonly string[] BiasShapes = ["7x5x1", "3x4x13", "1x1x1", "2x6x117"];

    public override string Name => "Linear";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("gemm", from shape in GemmShapes from t in Transposes from ab in Scalars select $"{t} {shape} {ab}",
            Gemm),
        new("bias-forward-adds-bias-per-channel", BiasShapes, BiasForward),
        new("bias-backward-adds-channel-sums", BiasShapes, BiasBackward),
    ];

    public override IEnumerable<KernelCheck> KernelGradients => [new("bias-db", ["3x4x5"], BiasGradient)];

    public override IEnumerable<OracleCheck> Oracle =>
    [
        new("gemm-gradient-formulas-are-derivatives", Transposes, GemmOracleGradients),
        new("bias-gradient-is-derivative", ["3x4x5"], BiasOracleGradient),
    ];

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["linear-after-flatten"] = new(new Shape(2, 3, 4), Smooth, ["fc1.weight", "fc1.bias"],
            (g, x) => g.Linear(g.Flatten(x), 5)),
        ["linear-without-bias"] = new(new Shape(7), Smooth, ["fc1.weight"], (g, x) => g.Linear(x, 3, bias: false)),
    };

    public override IReadOnlyList<string> FixtureOps => ["linear"];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) =>
        g.Linear(x, fixture.Int("out"), name: "layer");

    /// <summary>Gradients of sum(r * (alpha op(A) op(B))) with respect to A and B as stored: d op(A) =
    /// alpha r op(B)^T and d op(B) = alpha op(A)^T r, transposed back when the operand is stored transposed.</summary>
    internal static (double[] DA, double[] DB) GemmGradients(bool transA, bool transB, int m, int n, int k,
        double alpha, double[] a, double[] b, double[] r)
    {
        var dA = transA
            ? ReferenceOps.Gemm(transB, true, k, m, n, alpha, b, r, 0, [])
            : ReferenceOps.Gemm(false, !transB, m, k, n, alpha, r, b, 0, []);
        var dB = transB
            ? ReferenceOps.Gemm(true, transA, n, k, m, alpha, r, a, 0, [])
            : ReferenceOps.Gemm(!transA, false, k, n, m, alpha, a, r, 0, []);
        return (dA, dB);
    }

    private static int[] Sizes(string shape) => shape.Split('x').Select(int.Parse).ToArray();

    private static void Gemm(Accelerator acc, string item)
    {
        var parts = item.Split(' ');
        var (transA, transB) = (parts[0][0] == 'T', parts[0][1] == 'T');
        var size = Sizes(parts[1]);
        var scalars = parts[2].Split(',').Select(float.Parse).ToArray();
        var (m, n, k, alpha, beta) = (size[0], size[1], size[2], scalars[0], scalars[1]);
        var (a, b) = (RandomTensors.Uniform(m * k, 1), RandomTensors.Uniform(k * n, 2));

        // With beta = 0, C must not be read: NaN there would poison a product that multiplied it by zero.
        var c0 = beta == 0 ? Enumerable.Repeat(float.NaN, m * n).ToArray() : RandomTensors.Uniform(m * n, 3);
        var c = acc.Upload(c0);
        acc.Gemm(transA, transB, m, n, k, alpha, acc.Upload(a), acc.Upload(b), beta, c);

        var expected = ReferenceOps.Gemm(transA, transB, m, n, k, alpha, a.ToDouble(), b.ToDouble(), beta,
            c0.ToDouble());
        TensorAssert.Close(expected, c.ToArray(), 1e-5, 1e-5, $"gemm {item}");
    }

    private static void BiasForward(Accelerator acc, string shape)
    {
        var s = Sizes(shape);
        var (outer, channels, inner) = (s[0], s[1], s[2]);
        var (y0, bias) = (RandomTensors.Uniform(outer * channels * inner, 9), RandomTensors.Uniform(channels, 10));
        var y = acc.Upload(y0);
        acc.BiasAddForward(y, acc.Upload(bias), outer, channels, inner);

        var expected = ReferenceOps.BiasAdd(y0.ToDouble(), bias.ToDouble(), outer, channels, inner);
        TensorAssert.Close(expected, y.ToArray(), 1e-7, 1e-6, $"bias {shape} y");
    }

    private static void BiasBackward(Accelerator acc, string shape)
    {
        var s = Sizes(shape);
        var (outer, channels, inner) = (s[0], s[1], s[2]);
        var (dy, before) = (RandomTensors.Uniform(outer * channels * inner, 11), RandomTensors.Uniform(channels, 12));
        var db = acc.Upload(before);
        acc.BiasAddBackward(acc.Upload(dy), db, outer, channels, inner);

        var expected = Expected.Add(before, ReferenceOps.BiasAddBackward(dy.ToDouble(), outer, channels, inner));
        TensorAssert.Close(expected, db.ToArray(), 1e-5, 1e-5, $"bias {shape} db (added to prefill)");
    }

    private static void BiasGradient(Accelerator acc, string shape)
    {
        var s = Sizes(shape);
        var (outer, channels, inner) = (s[0], s[1], s[2]);
        var count = outer * channels * inner;
        var (y0, bias, r) = (RandomTensors.Uniform(count, 13), RandomTensors.Uniform(channels, 14),
            RandomTensors.Uniform(count, 15));
        var (y, biasBuffer, db) = (acc.Allocate(count), acc.Upload(bias), acc.Filled(channels, 0f));
        acc.BiasAddBackward(acc.Upload(r), db, outer, channels, inner);

        KernelGradient.Check(FiniteDifferences.Gradient(acc, biasBuffer, bias, () =>
        {
            acc.CopyFromHost(y0, y);
            acc.BiasAddForward(y, biasBuffer, outer, channels, inner);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, KernelGradient.LinearStep), db, "bias db");
    }

    private static void GemmOracleGradients(string transposes)
    {
        // The formulas a dense layer's backward is built from, for A and B stored transposed or not.
        const int M = 5, N = 4, K = 3;
        const double Alpha = 0.7;
        var (transA, transB) = (transposes[0] == 'T', transposes[1] == 'T');
        var a = RandomTensors.Uniform(M * K, 11).ToDouble();
        var b = RandomTensors.Uniform(K * N, 12).ToDouble();
        var r = RandomTensors.Uniform(M * N, 13).ToDouble();
        double Loss() => FiniteDifferences.Dot(ReferenceOps.Gemm(transA, transB, M, N, K, Alpha, a, b, 0, []), r);

        var (dA, dB) = GemmGradients(transA, transB, M, N, K, Alpha, a, b, r);
        OracleGradient.Check(dA, FiniteDifferences.Gradient(a, Loss, OracleGradient.Step), "dA");
        OracleGradient.Check(dB, FiniteDifferences.Gradient(b, Loss, OracleGradient.Step), "dB");
    }

    private static void BiasOracleGradient(string shape)
    {
        var s = Sizes(shape);
        var (outer, channels, inner) = (s[0], s[1], s[2]);
        var y = RandomTensors.Uniform(outer * channels * inner, 14).ToDouble();
        var bias = RandomTensors.Uniform(channels, 15).ToDouble();
        var r = RandomTensors.Uniform(outer * channels * inner, 16).ToDouble();

        OracleGradient.Check(ReferenceOps.BiasAddBackward(r, outer, channels, inner), FiniteDifferences.Gradient(bias,
            () => FiniteDifferences.Dot(ReferenceOps.BiasAdd(y, bias, outer, channels, inner), r),
            OracleGradient.Step), "db");
    }
}
