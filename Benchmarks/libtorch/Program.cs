// The libtorch peer of gpu-cnn's benchmarks: the models and recipe of Benchmarks/peer/train_throughput.py and gemm.py,
// run on libtorch through TorchSharp, the library a .NET user would otherwise pick. Three modes:
//   (default)     training-step throughput: forward + cross-entropy + backward + Adam (lr 1e-3) step;
//   --inference   evaluation mode, forward only under no_grad; batch 1 gives latency, batch 64 throughput;
//   --gemm        float32 n x n matrix multiply GFLOP/s (2 n^3 / t), best of --repeats.
// As in the Python scripts, inputs are random batches of the model's shape made before timing, `--steps` steps are
// timed after `--warmup` untimed ones, `--repeats` times, and the median images/s is reported. The last line of
// stdout is one JSON object of the same shape as the Python scripts' (images_per_s, ms_per_step, ...).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GpuCnn.LibTorchPeer;
using TorchSharp;
using static TorchSharp.torch;

var options = Options.Parse(args);
if (options is null)
{
    return 2;
}

set_num_threads(options.Threads);
manual_seed(options.Seed);
var runtime = new Dictionary<string, object>
{
    ["torch"] = __version__,
    ["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
    ["torch_threads"] = get_num_threads(),
    ["dotnet"] = Environment.Version.ToString(),
};
var result = options.Gemm ? Gemm(options) : options.Inference ? Inference(options) : Train(options);
result["runtime"] = runtime;
Console.WriteLine(JsonSerializer.Serialize(result));
return 0;

static Dictionary<string, object> Train(Options o)
{
    var (model, batches, parameters) = Setup(o);
    model.train();
    using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);

    // Each step's tensors (activations, the autograd graph, the loss) are freed at the end of the step, as Python's
    // reference counting frees them in train_throughput.py; kept for a whole run, they would cost libtorch time.
    void Steps(int steps)
    {
        for (var s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = batches[s % batches.Count];
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            optimizer.step();
            if (s == steps - 1)
            {
                _ = loss.item<float>();
            }
        }
    }

    return Timed(o, "train_throughput", parameters, Steps);
}

static Dictionary<string, object> Inference(Options o)
{
    var (model, batches, parameters) = Setup(o);
    model.eval();

    void Steps(int steps)
    {
        using var noGrad = no_grad();
        for (var s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            model.call(batches[s % batches.Count].X);
        }
    }

    var result = Timed(o, "inference", parameters, Steps);
    var median = (double)result["images_per_s"];
    result["ms_per_batch"] = 1000.0 * o.BatchSize / median;
    result["ms_per_image"] = 1000.0 / median;
    return result;
}

// The model and eight distinct random batches (inputs of the model's shape, labels of 10 classes), cycled through.
static (nn.Module<Tensor, Tensor> Model, List<(Tensor X, Tensor Y)> Batches, long Params) Setup(Options o)
{
    var (build, shape, expected) = Models.All[o.Model];
    var model = build();
    var parameters = model.parameters().Sum(p => p.numel());
    if (parameters != expected)
    {
        throw new InvalidOperationException(
            $"{o.Model} has {parameters} parameters; the PyTorch peer's model has {expected}.");
    }

    var batches = new List<(Tensor, Tensor)>();
    for (var i = 0; i < 8; i++)
    {
        batches.Add((randn([o.BatchSize, .. shape]), randint(0, 10, [o.BatchSize], dtype: ScalarType.Int64)));
    }

    return (model, batches, parameters);
}

static Dictionary<string, object> Timed(Options o, string benchmark, long parameters, Action<int> steps)
{
    var runs = new List<Dictionary<string, double>>();
    for (var r = 0; r < o.Repeats; r++)
    {
        steps(o.Warmup);
        var clock = Stopwatch.StartNew();
        steps(o.Steps);
        var seconds = clock.Elapsed.TotalSeconds;
        var ips = o.Steps * o.BatchSize / seconds;
        runs.Add(new() { ["seconds"] = seconds, ["images_per_s"] = ips });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"repeat {r + 1}: {ips:F0} img/s ({seconds:F2} s for {o.Steps} steps)"));
    }

    var sorted = runs.Select(run => run["images_per_s"]).Order().ToList();
    var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
        : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    return new()
    {
        ["benchmark"] = benchmark,
        ["framework"] = "libtorch",
        ["model"] = o.Model,
        ["params"] = parameters,
        ["optimizer"] = benchmark == "inference" ? "none" : "adam",
        ["batch_size"] = o.BatchSize,
        ["threads"] = o.Threads,
        ["steps"] = o.Steps,
        ["warmup"] = o.Warmup,
        ["repeats"] = runs,
        ["images_per_s"] = median,
        ["ms_per_step"] = 1000.0 * o.BatchSize / median,
    };
}

// C = A B into a preallocated C (addmm_ with beta 0 ignores C's old values), as gemm.py's torch.mm(a, b, out=c), so
// that no allocation is timed.
static Dictionary<string, object> Gemm(Options o)
{
    var results = new List<Dictionary<string, object>>();
    foreach (var n in o.Sizes)
    {
        using var a = randn(n, n);
        using var b = randn(n, n);
        using var c = empty(n, n);
        c.addmm_(a, b, beta: 0, alpha: 1);
        double SecondsPerCall()
        {
            for (var calls = 1; ; calls *= 2)
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < calls; i++)
                {
                    c.addmm_(a, b, beta: 0, alpha: 1);
                }

                if (clock.Elapsed.TotalSeconds >= o.MinTime)
                {
                    return clock.Elapsed.TotalSeconds / calls;
                }
            }
        }

        var flop = 2.0 * n * n * n;
        var rates = Enumerable.Range(0, o.Repeats).Select(_ => flop / SecondsPerCall() / 1e9).ToList();
        var best = rates.Max();
        results.Add(new() { ["n"] = n, ["gflops"] = best, ["all_gflops"] = rates, ["ms_per_call"] = flop / best / 1e6 });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"n={n}: {best:F1} GFLOP/s (best of {o.Repeats})"));
    }

    return new()
    {
        ["benchmark"] = "gemm",
        ["framework"] = "libtorch",
        ["dtype"] = "float32",
        ["op"] = "addmm_ (beta 0)",
        ["threads"] = o.Threads,
        ["repeats"] = o.Repeats,
        ["results"] = results,
    };
}

/// <summary>The command line, spelled as the Python peer scripts spell it.</summary>
internal sealed record Options(string Model, int BatchSize, int Threads, int Steps, int Warmup, int Repeats, long Seed,
    bool Inference, bool Gemm, int[] Sizes, double MinTime)
{
    public static Options? Parse(string[] args)
    {
        var o = new Options("lenet5", 64, 2, 300, 30, 3, 0, false, false, [512, 1024, 2048], 0.2);
        var repeatsGiven = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--model": o = o with { Model = Next() }; break;
                case "--batch-size": o = o with { BatchSize = Int() }; break;
                case "--threads": o = o with { Threads = Int() }; break;
                case "--steps": o = o with { Steps = Int() }; break;
                case "--warmup": o = o with { Warmup = Int() }; break;
                case "--repeats": o = o with { Repeats = Int() }; repeatsGiven = true; break;
                case "--seed": o = o with { Seed = Int() }; break;
                case "--inference": o = o with { Inference = true }; break;
                case "--gemm": o = o with { Gemm = true }; break;
                case "--min-time": o = o with { MinTime = double.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--sizes":
                    var sizes = new List<int>();
                    while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        sizes.Add(Int());
                    }

                    o = o with { Sizes = [.. sizes] };
                    break;
                default:
                    Console.Error.WriteLine($"libtorch-peer: unknown option {args[i]}. Options: --model " +
                        $"{string.Join('|', Models.All.Keys)} --batch-size --threads --steps --warmup --repeats " +
                        "--seed --inference | --gemm --sizes N... --min-time S");
                    return null;
            }
        }

        if (!Models.All.ContainsKey(o.Model))
        {
            Console.Error.WriteLine($"libtorch-peer: unknown model {o.Model}");
            return null;
        }

        // gemm.py's default is the best of 5.
        return o.Gemm && !repeatsGiven ? o with { Repeats = 5 } : o;
    }
}
