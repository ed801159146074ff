using GpuCnn.Kernels.Ilgpu;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>
/// The tiled GEMM of the ILGPU backend on ILGPU's CPU accelerator, against a double-precision product: every
/// transpose combination, alpha and beta, and shapes that end inside a 64x64 tile and a 16-deep slice (the guarded
/// loads and stores), kept small because every group's 256 threads and barriers are simulated on the host.
/// </summary>
public sealed class IlgpuGemmTests
{
    public static TheoryData<bool, bool, int, int, int> Shapes
    {
        get
        {
            var data = new TheoryData<bool, bool, int, int, int>();
            foreach (var transA in new[] { false, true })
            {
                foreach (var transB in new[] { false, true })
                {
                    // One partial tile; two tiles each way with a reduction of two slices, the second partial;
                    // a single element.
                    data.Add(transA, transB, 5, 7, 3);
                    data.Add(transA, transB, 70, 65, 33);
                    data.Add(transA, transB, 1, 1, 1);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TiledGemmMatchesDoubleProduct(bool transA, bool transB, int m, int n, int k)
    {
        using var acc = IlgpuAccelerator.Cpu();
        var a = RandomTensors.Uniform(m * k, 1);
        var b = RandomTensors.Uniform(k * n, 2);
        var c = RandomTensors.Uniform(m * n, 3);
        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, -2f) })
        {
            // beta = 0 must overwrite: NaN in C may not leak into the result.
            var target = beta == 0 ? acc.Filled(m * n, float.NaN) : acc.Upload(c);
            acc.Gemm(transA, transB, m, n, k, alpha, acc.Upload(a), acc.Upload(b), beta, target);

            var expected = new double[m * n];
            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (var p = 0; p < k; p++)
                    {
                        sum += (double)a[transA ? p * m + i : i * k + p] * b[transB ? j * k + p : p * n + j];
                    }

                    expected[i * n + j] = alpha * sum + (beta == 0 ? 0 : (double)beta * c[i * n + j]);
                }
            }

            TensorAssert.Close(expected, target.ToArray(), 1e-5, 1e-5,
                $"C of {(transA ? "A^T" : "A")} {(transB ? "B^T" : "B")} {m}x{n}x{k}, alpha {alpha}, beta {beta}");
        }
    }
}
