// Builds a small convolutional network, trains it and predicts with it, using only the gpu-cnn packages.
// By default it learns to tell horizontal bars from vertical ones in generated 8x8 images, so it needs no data;
// with `--mnist DIR` (a folder holding the four MNIST IDX files) it trains LeNet-5 on a slice of MNIST instead.
// It exits with 1 when the loss does not fall or the predictions are wrong, so that CI can run it as a check.
using System.Globalization;
using GpuCnn.Datasets;
using GpuCnn.Engine;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string? mnistDir = args.Length == 2 && args[0] == "--mnist" ? args[1] : null;
if (mnistDir is not null && !Mnist.IsPresent(mnistDir))
{
    Console.Error.WriteLine($"No MNIST files in {mnistDir}; run without --mnist for the generated data.");
    return 2;
}

using var accelerator = new CpuAccelerator();
return mnistDir is null ? Bars.Run(accelerator) : MnistSlice.Run(accelerator, mnistDir);

/// <summary>Generated 8x8 images of one bright bar, horizontal (class 0) or vertical (class 1), on noise.</summary>
internal static class Bars
{
    private const int Size = 8, BatchSize = 32, Steps = 60;
    private static readonly string[] Names = ["horizontal", "vertical"];

    public static int Run(CpuAccelerator accelerator)
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(1, Size, Size));
        var h = g.MaxPool2d(g.Relu(g.Conv2d(x, 4, 3, padding: 1)), 2);
        var logits = g.Linear(g.Flatten(h), 2);
        using var network = g.Build(logits, accelerator, maxBatch: BatchSize, seed: 0);
        using var trainer = new Trainer(network, new Adam(network.Parameters(), lr: 0.01f));

        var random = new Random(0);
        var images = new float[BatchSize * Size * Size];
        var labels = new int[BatchSize];
        var losses = new List<float>();
        for (int step = 1; step <= Steps; step++)
        {
            Fill(images, labels, random);
            losses.Add(trainer.Step(images, labels, BatchSize).Loss);
            if (step == 1 || step % 10 == 0)
            {
                Console.WriteLine($"step {step,3}  loss {losses[^1]:F4}");
            }
        }

        // Fresh images the network has not seen: it should name almost every bar's direction.
        Fill(images, labels, random);
        float[] scores = network.Predict(images, BatchSize);
        int correct = Enumerable.Range(0, BatchSize).Count(n => ArgMax(scores.AsSpan(n * 2, 2)) == labels[n]);
        var p = Softmax(scores.AsSpan(0, 2));
        Console.WriteLine($"a {Names[labels[0]]} bar is predicted {Names[ArgMax(p)]} (p = {p.Max():F3}); " +
            $"{correct}/{BatchSize} fresh images right");
        return Report(losses, correct, BatchSize, minimumRight: 0.9);
    }

    private static void Fill(float[] images, int[] labels, Random random)
    {
        for (int n = 0; n < labels.Length; n++)
        {
            labels[n] = random.Next(2);
            int at = random.Next(Size);
            for (int y = 0; y < Size; y++)
            {
                for (int x = 0; x < Size; x++)
                {
                    bool onBar = labels[n] == 0 ? y == at : x == at;
                    images[(n * Size + y) * Size + x] = (onBar ? 1f : 0f) + 0.3f * random.NextSingle();
                }
            }
        }
    }

    internal static int ArgMax(ReadOnlySpan<float> values) => values.IndexOf(Max(values));

    private static float Max(ReadOnlySpan<float> values)
    {
        float max = float.NegativeInfinity;
        foreach (float v in values)
        {
            max = Math.Max(max, v);
        }
        return max;
    }

    internal static float[] Softmax(ReadOnlySpan<float> logits)
    {
        float max = Max(logits);
        var e = new float[logits.Length];
        for (int i = 0; i < e.Length; i++)
        {
            e[i] = MathF.Exp(logits[i] - max);
        }
        float sum = e.Sum();
        return [.. e.Select(v => v / sum)];
    }

    // The sample doubles as a check: the loss must have fallen and most predictions must be right.
    internal static int Report(List<float> losses, int correct, int total, double minimumRight)
    {
        float first = losses.Take(5).Average(), last = losses.TakeLast(5).Average();
        Console.WriteLine($"loss fell from {first:F4} to {last:F4}");
        if (!(last < 0.5f * first) || correct < minimumRight * total)
        {
            Console.Error.WriteLine(
                $"The model did not learn: the loss did not halve or fewer than {minimumRight:P0} were right.");
            return 1;
        }
        return 0;
    }
}

/// <summary>LeNet-5 on the first 8,192 MNIST training images, fed by a background loader.</summary>
internal static class MnistSlice
{
    private const int BatchSize = 64;

    public static int Run(CpuAccelerator accelerator, string dataDir)
    {
        var (train, test) = Mnist.Load(dataDir);
        train = train.Slice(0, 8192);
        using var network = ModelZoo.Build("lenet5", accelerator, BatchSize, seed: 0);
        using var trainer = new Trainer(network, new Adam(network.Parameters()));
        var loader = new BackgroundBatchLoader(new MnistBatcher(train, BatchSize, shuffle: true, seed: 0));

        var losses = new List<float>();
        foreach (var batch in loader.Epoch(1))
        {
            losses.Add(trainer.Step(batch.Images, batch.Labels, batch.Count).Loss);
            if (losses.Count == 1 || losses.Count % 32 == 0)
            {
                Console.WriteLine($"step {losses.Count,3}  loss {losses[^1]:F4}");
            }
        }

        var testBatch = new MnistBatcher(test.Slice(0, BatchSize), BatchSize, shuffle: false, seed: 0).Epoch(0).First();
        float[] scores = network.Predict(testBatch.Images, BatchSize);
        int correct = Enumerable.Range(0, BatchSize)
            .Count(n => Bars.ArgMax(scores.AsSpan(n * 10, 10)) == testBatch.Labels[n]);
        var p = Bars.Softmax(scores.AsSpan(0, 10));
        Console.WriteLine($"the first test digit, a {testBatch.Labels[0]}, is predicted {Bars.ArgMax(p)} " +
            $"(p = {p.Max():F3}); {correct}/{BatchSize} test digits right");
        return Bars.Report(losses, correct, BatchSize, minimumRight: 0.75);
    }
}
