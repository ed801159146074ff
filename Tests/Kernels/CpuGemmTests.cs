using System.Text;
using GpuCnn.Kernels.Cpu;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>
/// CpuGemm against a double-precision triple loop over odd, skinny and blocked shapes, every transpose pair,
/// alpha/beta variants, padded strides, and with threading on and off.
/// </summary>
public class CpuGemmTests
{
    // (m, n, k): tiny and odd sizes hit every edge tile; the CNN shapes are LeNet-5's forward and backward
    // products; the rest cross the kc (1024), mc (112) and nc (2048) block edges and the parallel threshold.
    public static TheoryData<int, int, int, bool, bool> Cases()
    {
        (int M, int N, int K)[] shapes =
        [
            (1, 1, 1), (1, 7, 3), (7, 1, 13), (2, 3, 1), (13, 7, 31), (7, 13, 33), (31, 33, 1), (33, 31, 100),
            (100, 1, 7), (1, 100, 13), (14, 32, 16), (15, 33, 17), (28, 64, 8), (29, 17, 300),
            (6, 784, 25), (16, 100, 150), (64, 120, 400), (400, 120, 64), (64, 400, 120), (25, 784, 6),
            (6, 25, 784), (64, 10, 84), (10, 84, 64), (350, 40, 20), (40, 2081, 7), (3, 2100, 5),
            (150, 130, 260), (300, 40, 200), (3, 5, 130), (22, 23, 129), (20, 40, 1100), (3, 70, 2100),
        ];
        var data = new TheoryData<int, int, int, bool, bool>();
        foreach (var (m, n, k) in shapes)
        {
            foreach (bool ta in new[] { false, true })
            {
                foreach (bool tb in new[] { false, true }) data.Add(m, n, k, ta, tb);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReference(int m, int n, int k, bool transA, bool transB)
    {
        (float Alpha, float Beta)[] scales = [(1f, 0f), (1f, 1f), (-1.5f, 0.5f)];
        foreach (int pad in new[] { 0, 5 })
        {
            foreach (var (alpha, beta) in scales)
            {
                foreach (bool parallel in new[] { false, true })
                {
                    Check(m, n, k, transA, transB, alpha, beta, pad, parallel);
                }
            }
        }
    }

    [Fact]
    public void StrideThatIsAMultipleOf4KiBIsPacked()
    {
        // A 1024-float row stride sends the small-m path through packing instead of reading B in place.
        Check(6, 100, 20, false, false, 1f, 0f, pad: 1024 - 100, parallel: false);
        Check(6, 100, 20, true, false, 2f, 1f, pad: 1024 - 100, parallel: false);
    }

    [Fact]
    public void ZeroKScalesC()
    {
        float[] c = [1f, 2f, 3f, 4f, 5f, 6f];
        CpuGemm.Sgemm(false, false, 2, 3, 0, 1f, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 3,
            0.5f, c, 3);
        Assert.Equal(new[] { 0.5f, 1f, 1.5f, 2f, 2.5f, 3f }, c);

        float[] nan = [float.NaN, float.NaN, float.NaN];
        CpuGemm.Sgemm(false, false, 1, 3, 0, 1f, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 3,
            0f, nan, 3);
        Assert.Equal(new[] { 0f, 0f, 0f }, nan);
    }

    [Fact]
    public void ZeroAlphaIgnoresInputs()
    {
        float[] a = [float.NaN, float.NaN];
        float[] b = [float.NaN, float.NaN];
        float[] c = [2f, 4f, 6f, 8f];
        CpuGemm.Sgemm(false, false, 2, 2, 1, 0f, a, 1, b, 2, 0.25f, c, 2);
        Assert.Equal(new[] { 0.5f, 1f, 1.5f, 2f }, c);
    }

    [Fact]
    public void EmptyOutputIsANoOp()
    {
        float[] c = [7f];
        CpuGemm.Sgemm(false, false, 0, 1, 4, 1f, ReadOnlySpan<float>.Empty, 4, new float[4], 1, 0f, c, 1);
        CpuGemm.Sgemm(false, false, 1, 0, 4, 1f, new float[4], 4, ReadOnlySpan<float>.Empty, 1, 0f, c, 1);
        Assert.Equal(7f, c[0]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void ParallelProductsCrossEveryBlockEdge(bool transA, bool transB)
    {
        // Split across threads with ragged shares: n crosses the 2048-column block, k is cut into two slices and
        // m into several row blocks, with padded strides and both beta paths.
        Check(237, 2081, 1100, transA, transB, 1f, 0f, pad: 3, parallel: true);
        Check(129, 70, 530, transA, transB, -0.5f, 1.5f, pad: 0, parallel: true);
    }

    [Theory]
    [InlineData(512, 512, 512, false, false)]
    [InlineData(300, 700, 1500, false, true)]
    [InlineData(461, 133, 2500, true, false)]
    [InlineData(1100, 90, 300, true, true)]
    public void ParallelProductsAreBitwiseTheSerialOnes(int m, int n, int k, bool transA, bool transB)
    {
        // Each C element sums its k slices in the same order whichever thread computes it, so splitting the
        // work must not change a single bit (CPU training stays reproducible for a seed).
        var rng = new Random(m + n + k);
        var a = new float[m * k];
        var b = new float[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1);
        var serial = new float[m * n];
        var parallel = new float[m * n];
        for (int i = 0; i < serial.Length; i++) serial[i] = parallel[i] = (float)rng.NextDouble();
        int lda = transA ? m : k, ldb = transB ? k : n;
        CpuGemm.Sgemm(transA, transB, m, n, k, 0.75f, a, lda, b, ldb, 0.5f, serial, n, false);
        CpuGemm.Sgemm(transA, transB, m, n, k, 0.75f, a, lda, b, ldb, 0.5f, parallel, n, true);
        Assert.Equal(serial, parallel);
    }

    [Fact]
    public unsafe void TeamProductsSharingPackedAAreBitwiseTheSerialOnes()
    {
        // Through a worker team the column blocks share one packed copy of A, packed by whichever thread reaches
        // each block first. Shapes alternate on one job so every call must tell its own blocks from the stale
        // ones of the last call; three and four workers give ragged column shares.
        var shapes = new (int M, int N, int K, bool TransA, bool TransB)[]
        {
            (300, 700, 1500, false, false), (129, 470, 530, true, false), (300, 700, 1500, false, true),
            (461, 933, 2500, true, true), (129, 470, 530, true, false), (40, 3000, 70, false, false),
        };
        foreach (int workers in new[] { 2, 3, 4 })
        {
            using var team = new CpuWorkers(workers);
            var job = new GemmJob();
            foreach (var (m, n, k, transA, transB) in shapes)
            {
                var rng = new Random(m * 7 + n + k + workers);
                var a = new float[m * k];
                var b = new float[k * n];
                for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
                for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1);
                var serial = new float[m * n];
                var shared = new float[m * n];
                for (int i = 0; i < serial.Length; i++) serial[i] = shared[i] = (float)rng.NextDouble();
                int lda = transA ? m : k, ldb = transB ? k : n;
                CpuGemm.Sgemm(transA, transB, m, n, k, 0.75f, a, lda, b, ldb, 0.5f, serial, n, false);
                fixed (float* pa = a)
                fixed (float* pb = b)
                fixed (float* pc = shared)
                {
                    CpuGemm.Sgemm(transA, transB, m, n, k, 0.75f, pa, lda, pb, ldb, 0.5f, pc, n, team, job);
                }

                Assert.True(serial.AsSpan().SequenceEqual(shared), $"{workers} workers, {m}x{n}x{k} {transA}/{transB}");
            }
        }
    }

    [Fact]
    public void SingleThreadedCallsDoNotAllocate()
    {
        // Packing scratch is per thread and reused, so once warm a call allocates nothing on the managed heap.
        var a = new float[64 * 400];
        var b = new float[120 * 400];
        var c = new float[64 * 120];
        var c2 = new float[25 * 784];
        void Calls()
        {
            CpuGemm.Sgemm(false, true, 64, 120, 400, 1f, a, 400, b, 400, 0f, c, 120, false);
            CpuGemm.Sgemm(true, false, 25, 784, 6, 1f, a, 25, b, 784, 1f, c2, 784, false);
        }

        Calls();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Calls();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BadArgumentsThrow()
    {
        var a = new float[12];
        var b = new float[12];
        var c = new float[12];
        void Call(bool ta, bool tb, int m, int k, int lda, int ldb, int ldc) =>
            CpuGemm.Sgemm(ta, tb, m, 3, k, 1f, a, lda, b, ldb, 0f, c, ldc);
        Assert.Throws<ArgumentOutOfRangeException>(() => Call(false, false, -1, 4, 4, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Call(false, false, 3, 4, 3, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Call(true, false, 3, 4, 2, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Call(false, true, 3, 4, 4, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Call(false, false, 3, 4, 4, 3, 2));
        var ex = Assert.Throws<ArgumentException>(() => Call(false, false, 3, 5, 5, 3, 3));
        Assert.Contains("needs 15", ex.Message);
    }

    private static void Check(
        int m, int n, int k, bool transA, bool transB, float alpha, float beta, int pad, bool parallel)
    {
        var rng = new Random(HashCode.Combine(m, n, k, transA, transB, pad));
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;

        // Padding holds NaN in the inputs (reading it would poison C) and a sentinel in C (writing it is a bug).
        float[] a = Fill(rng, aRows, aCols, lda, float.NaN);
        float[] b = Fill(rng, bRows, bCols, ldb, float.NaN);
        const float sentinel = 12345f;
        float[] c = Fill(rng, m, n, ldc, sentinel);
        if (beta == 0f)
        {
            for (int i = 0; i < m; i++) Array.Fill(c, float.NaN, i * ldc, n);
        }

        float[] expected = new float[c.Length];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA ? a[p * lda + i] : a[i * lda + p];
                    double bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                }

                double old = beta == 0f ? 0 : beta * (double)c[i * ldc + j];
                expected[i * ldc + j] = (float)(alpha * sum + old);
            }
        }

        CpuGemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, parallel);

        // Inputs are in [-1, 1): a length-k dot product carries about sqrt(k) ulps of its magnitude in error.
        double atol = 1e-5 * Math.Sqrt(k + 1) * Math.Abs(alpha) + 1e-6, rtol = 1e-4;
        var report = new StringBuilder();
        int bad = 0;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc && i * ldc + j < c.Length; j++)
            {
                float got = c[i * ldc + j];
                bool inside = j < n;
                double want = inside ? expected[i * ldc + j] : sentinel;
                bool ok = inside ? Math.Abs(got - want) <= atol + rtol * Math.Abs(want) : got == sentinel;
                if (ok) continue;
                if (++bad <= 8) report.Append($"\n  C[{i},{j}] = {got}, expected {want}");
            }
        }

        Assert.True(bad == 0,
            $"m={m} n={n} k={k} transA={transA} transB={transB} alpha={alpha} beta={beta} pad={pad} "
            + $"parallel={parallel}: {bad} mismatches (atol {atol:g3}, rtol {rtol}), first:{report}");
    }

    private static float[] Fill(Random rng, int rows, int cols, int stride, float padding)
    {
        var data = new float[rows == 0 ? 0 : (rows - 1) * stride + cols];
        Array.Fill(data, padding);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++) data[i * stride + j] = (float)(rng.NextDouble() * 2 - 1);
        }

        return data;
    }
}
