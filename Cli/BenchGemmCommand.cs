using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GpuCnn.Engine;
using GpuCnn.Kernels;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn bench-gemm</c>: square single-precision GEMM throughput on a device, the median of several
/// timed runs per size, each run averaging back-to-back products over at least <c>--min-time</c> seconds (the method
/// of the PyTorch and libtorch peers in Benchmarks/); the last line is JSON for scripts.</summary>
internal static class BenchGemmCommand
{
    public static Command Create()
    {
        var device = CommonOptions.Device();
        var sizes = new Option<int[]>("--sizes")
        {
            Description = "Matrix sizes n (C = A*B with n x n matrices)",
            DefaultValueFactory = _ => [512, 1024, 2048],
            AllowMultipleArgumentsPerToken = true,
        };
        var repeats = new Option<int>("--repeats")
        {
            Description = "Timed runs per size (median reported)",
            DefaultValueFactory = _ => 5,
        }.AtLeast(1);
        var minTime = new Option<double>("--min-time")
        {
            Description = "Seconds each timed run lasts at least: it repeats the product, doubling the count, until " +
                "then, and reports the average",
            DefaultValueFactory = _ => 0.2,
        }.Must(v => v >= 0 && v <= 60, "between 0 and 60 seconds");
        sizes.Validators.Add(result =>
        {
            var values = result.GetValueOrDefault<int[]>() ?? [];
            if (values.Any(n => n is < 1 or > 16384))
            {
                result.AddError($"--sizes must be between 1 and 16384 each, got {string.Join(" ", values)}.");
            }
        });
        var command = new Command("bench-gemm", "Measure GEMM throughput in GFLOP/s")
        {
            device, sizes, repeats, minTime,
        };
        command.SetAction(parse => Run(parse.GetValue(device)!, parse.GetValue(sizes)!, parse.GetValue(repeats),
            parse.GetValue(minTime)));
        return command;
    }

    private static int Run(string device, int[] sizes, int repeats, double minTime)
    {
        using var accelerator = Devices.Open(device);
        var c = CultureInfo.InvariantCulture;
        var results = new List<string>();
        var random = new SeededRandom(3);
        foreach (var n in sizes)
        {
            var rates = Measure(accelerator, n, repeats, minTime, random);
            var median = rates[rates.Count / 2];
            Console.WriteLine(string.Create(c, $"n={n,5} on {accelerator.Name}: {median:F1} GFLOP/s (runs: " +
                $"{string.Join(", ", rates.Select(x => x.ToString("F1", c)))})"));
            results.Add(string.Create(c, $"\"{n}\": {median:F1}"));
        }

        Console.WriteLine($"{{\"device\": \"{accelerator.Kind}\", \"gflops\": {{{string.Join(", ", results)}}}}}");
        return 0;
    }

    // GFLOP/s of each timed run, sorted; one untimed product first compiles and warms the kernel. A run of one
    // product of a millisecond measures a wake-up or a preempted slice as much as the kernel, so each run repeats the
    // product (1, 2, 4, ... times) until it has lasted minTime and takes the average.
    private static List<double> Measure(Accelerator accelerator, int n, int repeats, double minTime,
        SeededRandom random)
    {
        var host = new float[n * n];
        for (var i = 0; i < host.Length; i++)
        {
            host[i] = random.NextUniform(-1f, 1f);
        }

        var a = accelerator.Allocate(n * n);
        var b = accelerator.Allocate(n * n);
        var result = accelerator.Allocate(n * n);
        accelerator.CopyFromHost(host, a);
        accelerator.CopyFromHost(host, b);
        accelerator.Gemm(false, false, n, n, n, 1f, a, b, 0f, result);
        accelerator.Synchronize();
        var rates = new List<double>();
        for (var r = 0; r < repeats; r++)
        {
            for (var calls = 1; ; calls *= 2)
            {
                var clock = Stopwatch.StartNew();
                for (var call = 0; call < calls; call++)
                {
                    accelerator.Gemm(false, false, n, n, n, 1f, a, b, 0f, result);
                }

                accelerator.Synchronize();
                var seconds = clock.Elapsed.TotalSeconds;
                if (seconds >= minTime)
                {
                    rates.Add(2.0 * n * n * n * calls / seconds / 1e9);
                    break;
                }
            }
        }

        a.Release();
        b.Release();
        result.Release();
        rates.Sort();
        return rates;
    }
}
