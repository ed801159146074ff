using BenchmarkDotNet.Attributes;
using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Benchmarks.Gemm;

/// <summary>
/// CpuGemm on square sizes (one and all cores) and on the skinny products of a LeNet-5 training step.
/// GFLOP/s = 2·m·n·k / mean time.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] a = [];
    private float[] b = [];
    private float[] c = [];

    /// <summary>The product to time.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = new(1, 1, 1, false, false, false);

    /// <summary>Square sizes on one and on all cores, then LeNet-5 forward and backward products.</summary>
    public static IEnumerable<GemmShape> Shapes() =>
    [
        new(512, 512, 512, false, false, false), new(512, 512, 512, false, false, true),
        new(2048, 2048, 2048, false, false, false), new(2048, 2048, 2048, false, false, true),
        new(6, 784, 25, false, false, false), new(25, 784, 6, true, false, false),
        new(6, 25, 784, false, true, false), new(16, 100, 150, false, false, false),
        new(16, 150, 100, false, true, false), new(64, 120, 400, false, true, true),
        new(400, 120, 64, true, false, true), new(64, 400, 120, false, false, true),
        new(64, 10, 84, false, true, false),
    ];

    /// <summary>Fills A and B with values in [0, 1).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        a = new float[Shape.M * Shape.K];
        b = new float[Shape.K * Shape.N];
        c = new float[Shape.M * Shape.N];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextSingle();
        for (int i = 0; i < b.Length; i++) b[i] = rng.NextSingle();
    }

    /// <summary>C = A·B with the shape's transposes.</summary>
    [Benchmark]
    public void Sgemm()
    {
        var s = Shape;
        CpuGemm.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, s.TransA ? s.M : s.K, b, s.TransB ? s.K : s.N,
            0f, c, s.N, s.Parallel);
    }
}

/// <summary>One GEMM problem: C (m x n) = op(A) (m x k) · op(B) (k x n).</summary>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">Inner dimension.</param>
/// <param name="TransA">A stored k x m.</param>
/// <param name="TransB">B stored n x k.</param>
/// <param name="Parallel">Use all cores.</param>
public sealed record GemmShape(int M, int N, int K, bool TransA, bool TransB, bool Parallel)
{
    /// <summary>Compact label for the results table, e.g. <c>64x120x400 NT par</c>.</summary>
    public override string ToString() =>
        $"{M}x{N}x{K} {(TransA ? 'T' : 'N')}{(TransB ? 'T' : 'N')}{(Parallel ? " par" : "")}";
}
