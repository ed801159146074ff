namespace GpuCnn.Kernels.Cpu.Gemm;

/// <summary>
/// Portable tile for machines without AVX2/FMA. Correctness matters here, not speed: it keeps the blocked
/// driver and packing identical on every machine, so the tests exercise the same code paths everywhere.
/// </summary>
internal static unsafe class ScalarMicroKernel
{
    /// <summary>Rows of C per full tile.</summary>
    public const int Mr = 4;

    /// <summary>Columns of C per full tile.</summary>
    public const int Nr = 8;

    /// <summary>
    /// One tile: C[0..rows, 0..nr) = alpha * A * B + beta * C. A(i, p) is a[p * aStep + i]; B(p, j) is
    /// b[p * bStep + j]. beta == 0 never reads C.
    /// </summary>
    public static void Tile(
        int rows, int kc, float* a, nint aStep, float* b, nint bStep, float* c, nint ldc, float alpha, float beta,
        int nr)
    {
        float* acc = stackalloc float[Mr * Nr];
        new Span<float>(acc, Mr * Nr).Clear();
        for (int p = 0; p < kc; p++)
        {
            for (int i = 0; i < rows; i++)
            {
                float ai = a[i];
                for (int j = 0; j < nr; j++) acc[i * Nr + j] += ai * b[j];
            }

            a += aStep;
            b += bStep;
        }

        for (int i = 0; i < rows; i++)
        {
            float* row = c + i * ldc;
            for (int j = 0; j < nr; j++)
            {
                float v = alpha * acc[i * Nr + j];
                row[j] = beta == 0f ? v : v + beta * row[j];
            }
        }
    }
}
