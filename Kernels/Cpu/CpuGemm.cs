namespace GpuCnn.Kernels.Cpu;

/// <summary>Row-major SGEMM (placeholder until the tiled kernel lands).</summary>
public static unsafe class CpuGemm
{
    /// <summary>C = alpha * op(A) * op(B) + beta * C.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, bool parallel = true)
    {
        for (var i = 0; i < m; i++)
        {
            var row = c + (long)i * ldc;
            for (var j = 0; j < n; j++)
            {
                row[j] = beta == 0f ? 0f : row[j] * beta;
            }

            for (var p = 0; p < k; p++)
            {
                var av = alpha * (transA ? a[(long)p * lda + i] : a[(long)i * lda + p]);
                if (!transB)
                {
                    var brow = b + (long)p * ldb;
                    for (var j = 0; j < n; j++)
                    {
                        row[j] += av * brow[j];
                    }
                }
                else
                {
                    for (var j = 0; j < n; j++)
                    {
                        row[j] += av * b[(long)j * ldb + p];
                    }
                }
            }
        }
    }
}
