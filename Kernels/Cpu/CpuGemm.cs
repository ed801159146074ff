using GpuCnn.Kernels.Cpu.Gemm;

namespace GpuCnn.Kernels.Cpu;

/// <summary>
/// Single-precision general matrix multiply for the CPU backend: packed panels, cache blocking and an
/// AVX-512 register tile (AVX2 or portable fallbacks elsewhere). All matrices are row-major.
/// </summary>
public static unsafe class CpuGemm
{
    /// <summary>
    /// Below this many floating-point operations (2·m·n·k) a call stays on the calling thread: waking a second
    /// core costs a few microseconds, which only pays once the multiply itself takes tens of microseconds.
    /// </summary>
    public const double ParallelMinFlops = 4e6;

    /// <summary>
    /// C = alpha · op(A) · op(B) + beta · C, all row-major.
    /// op(A) is m x k: A is m x k, or k x m when <paramref name="transA"/>; <paramref name="lda"/> is its row
    /// stride. op(B) is k x n: B is k x n, or n x k when <paramref name="transB"/>. C is m x n with row stride
    /// <paramref name="ldc"/>. beta == 0 overwrites C without reading it (NaNs in C are ignored); k == 0 scales C
    /// by beta.
    /// </summary>
    /// <param name="transA">Whether A is stored k x m.</param>
    /// <param name="transB">Whether B is stored n x k.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The inner dimension.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">First element of A.</param>
    /// <param name="lda">Row stride of A in floats: at least its stored row length (k, or m when transposed).</param>
    /// <param name="b">First element of B.</param>
    /// <param name="ldb">Row stride of B in floats: at least its stored row length (n, or k when transposed).</param>
    /// <param name="beta">Scale of the existing C.</param>
    /// <param name="c">First element of C.</param>
    /// <param name="ldc">Row stride of C in floats, at least n.</param>
    /// <param name="parallel">
    /// Split large problems across the cores. Pass false when the caller already runs one GEMM per core
    /// (for example a convolution that gives each core its own images).
    /// </param>
    public static void Sgemm(
        bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb,
        float beta, float* c, int ldc, bool parallel = true) =>
        Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, parallel ? Environment.ProcessorCount : 1,
            null);

    /// <summary>
    /// The accelerator's form: a large problem is split over <paramref name="team"/>'s threads through
    /// <paramref name="job"/>, so a call allocates nothing and no thread-pool threads compete with the team.
    /// </summary>
    internal static void Sgemm(
        bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb,
        float beta, float* c, int ldc, CpuWorkers team, GemmJob job)
    {
        job.Team = team;
        Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, team.Count, job);
    }

    private static void Sgemm(
        bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb,
        float beta, float* c, int ldc, int maxThreads, GemmJob? job)
    {
        CheckShape(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0) return;
        if (c is null) throw new ArgumentNullException(nameof(c));
        if (k == 0 || alpha == 0f)
        {
            Scale(m, n, beta, c, ldc);
            return;
        }

        if (a is null) throw new ArgumentNullException(nameof(a));
        if (b is null) throw new ArgumentNullException(nameof(b));

        int threads = 2.0 * m * n * k >= ParallelMinFlops ? maxThreads : 1;
        if (threads <= 1)
        {
            GemmDriver.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        var problem = new Problem(transA, transB, m, n, k, alpha, (nint)a, lda, (nint)b, ldb, beta, (nint)c, ldc);
        var split = GemmSplit.Plan(problem, threads);
        if (job is null)
        {
            Parallel.For(0, split.Parts, new ParallelOptions { MaxDegreeOfParallelism = threads }, split.RunPart);
        }
        else
        {
            bool share = split.SplitColumns && split.Parts > 1
                && GemmDriver.PrepareSharedA(job.SharedA, transA, transB, m, n, k);
            job.Split = split with { SharedA = share ? job.SharedA : null };
            job.Team!.Run(job, split.Parts);
        }
    }

    /// <summary>
    /// Span form of the pointer overload: checks that each span holds its matrix, pins, and forwards.
    /// </summary>
    /// <param name="transA">Whether A is stored k x m.</param>
    /// <param name="transB">Whether B is stored n x k.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The inner dimension.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with row stride <paramref name="lda"/>.</param>
    /// <param name="lda">Row stride of A in floats.</param>
    /// <param name="b">B, row-major with row stride <paramref name="ldb"/>.</param>
    /// <param name="ldb">Row stride of B in floats.</param>
    /// <param name="beta">Scale of the existing C.</param>
    /// <param name="c">C, row-major with row stride <paramref name="ldc"/>.</param>
    /// <param name="ldc">Row stride of C in floats.</param>
    /// <param name="parallel">Split large problems across the cores.</param>
    public static void Sgemm(
        bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, bool parallel = true)
    {
        CheckShape(transA, transB, m, n, k, lda, ldb, ldc);
        CheckLength(nameof(a), a.Length, transA ? k : m, transA ? m : k, lda);
        CheckLength(nameof(b), b.Length, transB ? n : k, transB ? k : n, ldb);
        CheckLength(nameof(c), c.Length, m, n, ldc);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, parallel);
        }
    }

    internal readonly record struct Problem(
        bool TransA, bool TransB, int M, int N, int K, float Alpha, nint A, int Lda, nint B, int Ldb, float Beta,
        nint C, int Ldc);

    /// <summary>
    /// Splits C into disjoint column blocks (or row blocks when C is tall) whole tiles wide, so no two threads
    /// write the same tile; each thread packs its own panels into its own scratch. The split depends only on the
    /// shape and the thread count, so results do not depend on which thread runs which block.
    /// </summary>
    internal readonly record struct GemmSplit(Problem P, bool SplitColumns, int Extent, int Chunk, int Parts)
    {
        /// <summary>Packed A shared by the column blocks, or null to pack per thread.</summary>
        public SharedPackA? SharedA { get; init; }

        public static GemmSplit Plan(in Problem p, int threads)
        {
            bool splitColumns = p.N >= p.M;
            int extent = splitColumns ? p.N : p.M;
            int unit = splitColumns ? GemmDriver.Nr : GemmDriver.Mr;
            int chunk = (extent + threads - 1) / threads;
            chunk = (chunk + unit - 1) / unit * unit;
            return new GemmSplit(p, splitColumns, extent, chunk, (extent + chunk - 1) / chunk);
        }

        public void RunPart(int part)
        {
            int start = part * Chunk;
            int size = Math.Min(Chunk, Extent - start);
            float* a = (float*)P.A, b = (float*)P.B, c = (float*)P.C;
            if (SplitColumns)
            {
                b += P.TransB ? (nint)start * P.Ldb : start;
                GemmDriver.Run(P.TransA, P.TransB, P.M, size, P.K, P.Alpha, a, P.Lda, b, P.Ldb, P.Beta,
                    c + start, P.Ldc, SharedA);
            }
            else
            {
                a += P.TransA ? start : (nint)start * P.Lda;
                GemmDriver.Run(P.TransA, P.TransB, size, P.N, P.K, P.Alpha, a, P.Lda, b, P.Ldb, P.Beta,
                    c + (nint)start * P.Ldc, P.Ldc);
            }
        }
    }

    private static void Scale(int m, int n, float beta, float* c, nint ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + i * ldc, n);
            if (beta == 0f)
            {
                row.Clear();
            }
            else if (beta != 1f)
            {
                for (int j = 0; j < n; j++) row[j] *= beta;
            }
        }
    }

    private static void CheckShape(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), $"Sgemm: sizes must be >= 0, got m={m} n={n} k={k}.");
        }

        CheckStride(nameof(lda), lda, transA ? m : k, transA ? "m (A is k x m)" : "k (A is m x k)");
        CheckStride(nameof(ldb), ldb, transB ? k : n, transB ? "k (B is n x k)" : "n (B is k x n)");
        CheckStride(nameof(ldc), ldc, n, "n (C is m x n)");
    }

    private static void CheckStride(string name, int stride, int rowLength, string what)
    {
        if (stride < Math.Max(1, rowLength))
        {
            throw new ArgumentOutOfRangeException(
                name, $"Sgemm: {name}={stride} is shorter than a stored row; it must be >= {what} = {rowLength}.");
        }
    }

    private static void CheckLength(string name, int length, int rows, int cols, int stride)
    {
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * stride + cols;
        if (length < needed)
        {
            throw new ArgumentException(
                $"Sgemm: {name} holds {length} floats but a {rows} x {cols} matrix with row stride {stride} needs "
                + $"{needed}.", name);
        }
    }
}

/// <summary>The reusable work item through which an accelerator's worker team runs the blocks of one GEMM.</summary>
internal sealed class GemmJob : IParallelJob
{
    public CpuWorkers? Team;
    public CpuGemm.GemmSplit Split;
    public readonly SharedPackA SharedA = new();

    public void Run(int index, int worker) => Split.RunPart(index);
}
