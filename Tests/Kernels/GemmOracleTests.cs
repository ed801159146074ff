using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>Row-major GEMM in all four transpose combinations against the double reference.</summary>
public sealed class GemmOracleTests
{
    // m x n x k; sizes avoid multiples of 8 and 16 so that every tile has a ragged edge.
    private static readonly string[] Shapes = ["1x1x1", "7x13x9", "17x5x33", "33x65x17", "1x70x3"];

    private static readonly string[] Transposes = ["NN", "NT", "TN", "TT"];

    // alpha, beta: overwrite, scale and accumulate.
    private static readonly string[] Scalars = ["1,0", "0.5,2", "-1.5,1"];

    public static TheoryData<string, string> Data => Accelerators.Cross(
        from shape in Shapes from t in Transposes from ab in Scalars select $"{t} {shape} {ab}");

    [Theory]
    [MemberData(nameof(Data))]
    public void GemmMatchesReference(string accelerator, string item)
    {
        var parts = item.Split(' ');
        var (transA, transB) = (parts[0][0] == 'T', parts[0][1] == 'T');
        var size = parts[1].Split('x').Select(int.Parse).ToArray();
        var scalars = parts[2].Split(',').Select(float.Parse).ToArray();
        var (m, n, k, alpha, beta) = (size[0], size[1], size[2], scalars[0], scalars[1]);
        var (a, b) = (RandomTensors.Uniform(m * k, 1), RandomTensors.Uniform(k * n, 2));

        // With beta = 0, C must not be read: NaN there would poison a product that multiplied it by zero.
        var c0 = beta == 0 ? Enumerable.Repeat(float.NaN, m * n).ToArray() : RandomTensors.Uniform(m * n, 3);
        using var acc = Accelerators.Create(accelerator);
        var c = acc.Upload(c0);
        acc.Gemm(transA, transB, m, n, k, alpha, acc.Upload(a), acc.Upload(b), beta, c);

        var expected = ReferenceOps.Gemm(transA, transB, m, n, k, alpha, a.ToDouble(), b.ToDouble(), beta,
            c0.ToDouble());
        TensorAssert.Close(expected, c.ToArray(), 1e-5, 1e-5, $"gemm {item}");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void GemmWithEmptyInnerDimensionOnlyScalesC(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var c = acc.Upload([1f, -2f, 3f, 4f, 5f, 6f]);
        acc.Gemm(false, false, 2, 3, 0, 1f, acc.Filled(1, float.NaN), acc.Filled(1, float.NaN), 0.5f, c);

        TensorAssert.Close([0.5, -1, 1.5, 2, 2.5, 3], c.ToArray(), 0, 0, "C after k = 0");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void GemmLeavesElementsBeyondMByNAlone(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var c = acc.Filled(10, 42f);
        acc.Gemm(false, false, 2, 3, 4, 1f, acc.Filled(8, 1f), acc.Filled(12, 1f), 0f, c);

        TensorAssert.Close([4, 4, 4, 4, 4, 4, 42, 42, 42, 42], c.ToArray(), 0, 0, "C");
    }
}
