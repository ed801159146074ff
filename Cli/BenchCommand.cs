using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GpuCnn.Engine;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn bench</c>: training throughput (forward, backward, Adam step) on random batches of the
/// model's input shape, or with <c>--inference</c> evaluation-mode forward passes alone (batch 1 for latency, 64 for
/// throughput); the median of several timed runs; the last line is JSON for scripts.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model(inputs: ModelInputs.Any);
        var batchSize = CommonOptions.BatchSize();
        var device = CommonOptions.Device();
        var steps = new Option<int>("--steps") { Description = "Timed steps per run", DefaultValueFactory = _ => 300 }
            .AtLeast(1);
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first", DefaultValueFactory = _ => 30 }
            .AtLeast(0);
        var repeats = new Option<int>("--repeats")
        {
            Description = "Timed runs (median reported)",
            DefaultValueFactory = _ => 3,
        }.AtLeast(1);
        var profile = new Option<bool>("--profile") { Description = "Also time every node (synchronising after each)" };
        var inference = new Option<bool>("--inference")
        {
            Description = "Time evaluation-mode forward passes only (no loss, gradients or optimizer)",
        };
        var command = new Command("bench", "Measure training (or inference) throughput in images per second")
        {
            model, batchSize, device, steps, warmup, repeats, profile, inference,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(batchSize), parse.GetValue(device)!,
            new Timing(parse.GetValue(warmup), parse.GetValue(steps), parse.GetValue(repeats),
                parse.GetValue(profile), parse.GetValue(inference))));
        return command;
    }

    // Untimed warm-up steps, then repeated runs of timed steps, whether to profile each node after them, and whether
    // a step is a training step or an evaluation-mode forward pass.
    private sealed record Timing(int Warmup, int Steps, int Repeats, bool Profile, bool Inference);

    private static int Run(string name, int batch, string device, Timing timing)
    {
        using var accelerator = Devices.Open(device);
        OptionChecks.BatchFits(name, null, batch, accelerator);
        using var network = ModelZoo.Build(name, accelerator, batch, seed: 0);
        using var optimizer = timing.Inference ? null : new Adam(network.Parameters());
        using var trainer = optimizer is null ? null : new Trainer(network, optimizer);
        var (inputs, labels) = RandomBatch(batch, network.InputShape.Size);
        Action step;
        if (trainer is null)
        {
            // The batch is copied in once: what is timed is the forward pass alone, as a framework's model(x) on a
            // tensor already in memory.
            network.Eval();
            network.Forward(inputs, batch);
            step = () => network.Forward(batch);
        }
        else
        {
            step = () => trainer.Step(inputs, labels, batch);
        }

        for (var i = 0; i < timing.Warmup; i++)
        {
            step();
        }

        var buffersBefore = accelerator.BuffersCreated;
        var bytesBefore = GC.GetTotalAllocatedBytes(precise: true);
        var rates = TimedRuns(network, step, batch, timing);
        var bytesPerStep = (GC.GetTotalAllocatedBytes(precise: true) - bytesBefore) /
            (double)(timing.Steps * timing.Repeats);
        if (timing.Profile)
        {
            PrintProfile(network, step, timing.Steps);
        }

        rates.Sort();
        var median = rates[rates.Count / 2];
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c,
            $"{name} batch {batch} on {accelerator.Name}{(timing.Inference ? " (inference)" : "")}: {median:N0} " +
            $"images/s (runs: {string.Join(", ", rates.Select(x => x.ToString("N0", c)))}); buffers created " +
            $"while timed: {accelerator.BuffersCreated - buffersBefore}, managed bytes allocated per step: " +
            $"{bytesPerStep:F0}"));
        Console.WriteLine(Json(name, batch, accelerator.Kind.ToString(), median, timing.Inference,
            ModelSummary.Of(network).TotalMultiplyAdds));
        return 0;
    }

    // The last line. GFLOP/s counts two operations per multiply-add of the convolutions and linear layers (the other
    // layers' work is not counted), one forward pass per image for inference, and three for a training step: the
    // forward pass and, in backward, the input gradient and the weight gradient, each as many multiply-adds as it.
    private static string Json(string name, int batch, string device, double imagesPerSecond, bool inference,
        long multiplyAdds)
    {
        var passes = inference ? 1 : 3;
        var gflops = imagesPerSecond * multiplyAdds * 2.0 * passes / 1e9;
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"{name}\", \"mode\": \"{(inference ? "inference" : "train")}\", \"batch_size\": {batch}, " +
            $"\"device\": \"{device}\", \"images_per_second\": {imagesPerSecond:F1}, " +
            $"\"ms_per_batch\": {1000.0 * batch / imagesPerSecond:F4}, " +
            $"\"ms_per_image\": {1000.0 / imagesPerSecond:F4}, " +
            $"\"forward_multiply_adds_per_image\": {multiplyAdds}, \"gflops\": {gflops:F2}}}");
    }

    // Inputs in [-1, 2.5) and labels of 10 classes, the same every run.
    private static (float[] Inputs, int[] Labels) RandomBatch(int batch, int inputSize)
    {
        var random = new SeededRandom(1);
        var inputs = new float[batch * inputSize];
        var labels = new int[batch];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = random.NextUniform(-1f, 2.5f);
        }

        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = (int)(random.NextUInt64() % 10);
        }

        return (inputs, labels);
    }

    // Images per second of each timed run; each run ends by waiting for the device, so that all its work counts.
    private static List<double> TimedRuns(Network network, Action step, int batch, Timing timing)
    {
        var rates = new List<double>();
        for (var r = 0; r < timing.Repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < timing.Steps; i++)
            {
                step();
            }

            network.Accelerator.Synchronize();
            rates.Add(timing.Steps * batch / clock.Elapsed.TotalSeconds);
        }

        return rates;
    }

    private static void PrintProfile(Network network, Action step, int steps)
    {
        network.Profiling = true;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++)
        {
            step();
        }

        var total = clock.Elapsed.TotalMilliseconds / steps;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"node",-10} {"forward ms",11} {"backward ms",12}"));
        double sum = 0;
        foreach (var (node, forward, backward) in network.NodeTimes().Skip(1))
        {
            var f = forward.TotalMilliseconds / steps;
            var b = backward.TotalMilliseconds / steps;
            sum += f + b;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{node.Name,-10} {f,11:F3} {b,12:F3}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"nodes {sum:F3} ms of {total:F3} ms per profiled step (the rest: loss, zeroing, optimizer)"));
        network.Profiling = false;
    }
}
