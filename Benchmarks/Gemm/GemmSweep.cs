using System.Diagnostics;
using System.Globalization;
using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Benchmarks.Gemm;

/// <summary>
/// A quick GFLOP/s table for CpuGemm without BenchmarkDotNet's minutes per case, timed the same way as
/// <c>openblas_gemm.py</c> beside it so the two compare directly: each repeat runs back-to-back products for at
/// least <c>minTime</c> seconds; the median and best of the repeats are printed.
/// <c>dotnet Benchmarks/bin/Release/net10.0/GpuCnn.Benchmarks.dll sweep [m,n,k,TT ...]</c>
/// </summary>
public static class GemmSweep
{
    /// <summary>
    /// Runs the sweep over the given shapes (m,n,k,XY with X, Y in N/T; a fifth field, e.g. m,n,k,NN,1, runs on
    /// one thread), or the square defaults.
    /// </summary>
    /// <param name="args">Shapes; empty for n = 512, 1024, 2048 in NN, NT and TN.</param>
    public static void Run(string[] args)
    {
        var shapes = new List<(int M, int N, int K, bool TA, bool TB, bool Par)>();
        foreach (var s in args)
        {
            var f = s.Split(',');
            shapes.Add((int.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture),
                int.Parse(f[2], CultureInfo.InvariantCulture), f[3][0] == 'T', f[3][1] == 'T', f.Length < 5));
        }

        if (shapes.Count == 0)
        {
            foreach (int n in new[] { 512, 1024, 2048 })
            {
                foreach (var t in new[] { (false, false), (false, true), (true, false) })
                {
                    shapes.Add((n, n, n, t.Item1, t.Item2, true));
                }
            }
        }

        int repeats = int.Parse(Environment.GetEnvironmentVariable("SWEEP_REPEATS") ?? "5",
            CultureInfo.InvariantCulture);

        // Parallel products go through the CPU accelerator, as a network's dense layers do: its worker team
        // spins between jobs instead of waking thread-pool threads.
        using var accelerator = new CpuAccelerator();
        double minTime = double.Parse(Environment.GetEnvironmentVariable("SWEEP_MIN_TIME") ?? "0.15",
            CultureInfo.InvariantCulture);
        foreach (var (m, n, k, ta, tb, par) in shapes)
        {
            var rng = new Random(1);
            var a = new float[m * k];
            var b = new float[k * n];
            var c = new float[m * n];
            for (int i = 0; i < a.Length; i++) a[i] = rng.NextSingle() - 0.5f;
            for (int i = 0; i < b.Length; i++) b[i] = rng.NextSingle() - 0.5f;
            int lda = ta ? m : k, ldb = tb ? k : n;
            var da = accelerator.Allocate(a.Length);
            var db = accelerator.Allocate(b.Length);
            var dc = accelerator.Allocate(c.Length);
            accelerator.CopyFromHost(a, da);
            accelerator.CopyFromHost(b, db);
            void Once()
            {
                if (par) accelerator.Gemm(ta, tb, m, n, k, 1f, da, db, 0f, dc);
                else CpuGemm.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n, false);
            }

            Once();
            var rates = new List<double>();
            for (int r = 0; r < repeats; r++)
            {
                int calls = 1;
                while (true)
                {
                    var clock = Stopwatch.StartNew();
                    for (int i = 0; i < calls; i++) Once();
                    double s = clock.Elapsed.TotalSeconds;
                    if (s >= minTime)
                    {
                        rates.Add(2.0 * m * n * k * calls / s / 1e9);
                        break;
                    }

                    calls *= 2;
                }
            }

            rates.Sort();
            string name = $"{m}x{n}x{k} {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')}{(par ? "" : " 1t")}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name} median {rates[repeats / 2]:F1} best {rates[^1]:F1}"));
        }
    }
}
