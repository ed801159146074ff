using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GpuCnn.Datasets;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Models;
using Spectre.Console;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn train</c>: trains a model on MNIST with a live progress bar per epoch.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var dataset = CommonOptions.Dataset();
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training set", DefaultValueFactory = _ => 1 };
        var batchSize = CommonOptions.BatchSize();
        var optimizer = new Option<string>("--optimizer")
        {
            Description = "adam (lr 0.001), adadelta (lr 1.0) or sgd (lr 0.01, momentum 0.9)",
            DefaultValueFactory = _ => "adam",
        };
        optimizer.AcceptOnlyFromAmong("adam", "adadelta", "sgd");
        var lr = new Option<float?>("--lr") { Description = "Learning rate (default: the optimizer's)" };
        var momentum = new Option<float>("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => 0.9f };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialisation, shuffling and dropout", DefaultValueFactory = _ => 0 };
        var device = CommonOptions.Device();
        var dataDir = CommonOptions.DataDir();
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Save parameters and optimizer state here after each epoch (safetensors)" };
        var metricsJson = new Option<string?>("--metrics-json") { Description = "Write per-epoch metrics as JSON here" };
        var limit = new Option<int?>("--limit-train") { Description = "Train on the first N images only" };

        var command = new Command("train", "Train a model on MNIST")
        {
            model, dataset, epochs, batchSize, optimizer, lr, momentum, seed, device, dataDir, checkpoint, metricsJson,
            limit,
        };
        command.SetAction(parse => Run(new Settings(
            parse.GetValue(model)!, parse.GetValue(epochs), parse.GetValue(batchSize), parse.GetValue(optimizer)!,
            parse.GetValue(lr), parse.GetValue(momentum), parse.GetValue(seed), parse.GetValue(device)!,
            parse.GetValue(dataDir)!, parse.GetValue(checkpoint), parse.GetValue(metricsJson), parse.GetValue(limit))));
        return command;
    }

    private sealed record Settings(string Model, int Epochs, int BatchSize, string Optimizer, float? Lr, float Momentum,
        ulong Seed, string Device, string DataDir, string? Checkpoint, string? MetricsJson, int? Limit);

    private static int Run(Settings s)
    {
        if (s.Epochs < 1 || s.BatchSize < 1)
        {
            Console.Error.WriteLine("--epochs and --batch-size must be at least 1.");
            return 2;
        }

        var (train, test) = Mnist.LoadOrFetch(s.DataDir, message => Console.Error.WriteLine(message));
        if (s.Limit is { } n)
        {
            train = train.Slice(0, Math.Min(n, train.Count));
        }

        using var accelerator = Devices.Open(s.Device);
        using var network = ModelZoo.Build(s.Model, accelerator, s.BatchSize, s.Seed);
        using var optimizer = CreateOptimizer(s, network);
        using var trainer = new Trainer(network, optimizer);
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c,
            $"{s.Model} ({network.ParameterCount:N0} parameters) on {accelerator.Name}; {optimizer.Name} " +
            $"lr {optimizer.LearningRate}, batch {s.BatchSize}, seed {s.Seed}, {train.Count:N0} training images"));

        var batcher = new MnistBatcher(train, s.BatchSize, shuffle: true, s.Seed);
        var history = new List<Dictionary<string, object>>();
        for (var epoch = 1; epoch <= s.Epochs; epoch++)
        {
            var (trainLoss, trainAccuracy, imagesPerSecond) = RunEpoch(trainer, batcher, epoch);
            var (testLoss, testAccuracy) = MnistEvaluation.Run(trainer, test, s.BatchSize);
            Console.WriteLine(string.Create(c,
                $"epoch {epoch}/{s.Epochs}: train loss {trainLoss:F4} acc {trainAccuracy:P2} | test loss " +
                $"{testLoss:F4} acc {testAccuracy:P2} | {imagesPerSecond:N0} images/s"));
            history.Add(new Dictionary<string, object>
            {
                ["epoch"] = epoch,
                ["train_loss"] = trainLoss,
                ["train_accuracy"] = trainAccuracy,
                ["test_loss"] = testLoss,
                ["test_accuracy"] = testAccuracy,
                ["images_per_second"] = imagesPerSecond,
            });
            if (s.Checkpoint is { } path)
            {
                Checkpoint.Save(path, network, optimizer, new Dictionary<string, string>
                {
                    ["model"] = s.Model,
                    ["epoch"] = epoch.ToString(c),
                });
            }

            if (s.MetricsJson is { } metricsPath)
            {
                WriteMetrics(metricsPath, s, history);
            }
        }

        return 0;
    }

    private static Optimizer CreateOptimizer(Settings s, Network network) => s.Optimizer switch
    {
        "adam" => new Adam(network.Parameters(), s.Lr ?? 1e-3f),
        "adadelta" => new Adadelta(network.Parameters(), s.Lr ?? 1f),
        _ => new Sgd(network.Parameters(), s.Lr ?? 0.01f, s.Momentum),
    };

    private static (double Loss, double Accuracy, double ImagesPerSecond) RunEpoch(
        Trainer trainer, MnistBatcher batcher, int epoch)
    {
        double lossSum = 0;
        long seen = 0, correct = 0;
        var clock = Stopwatch.StartNew();
        var interactive = !Console.IsOutputRedirected;
        var nextRefresh = TimeSpan.Zero;
        void Loop(ProgressTask? task)
        {
            foreach (var batch in batcher.Epoch(epoch))
            {
                var r = trainer.Step(batch.Images, batch.Labels, batch.Count);
                lossSum += (double)r.Loss * r.Count;
                seen += r.Count;
                correct += r.Correct;
                task?.Increment(1);
                // Formatting the line every step would cost more than the step itself on small models.
                if (task is not null && clock.Elapsed >= nextRefresh)
                {
                    nextRefresh = clock.Elapsed + TimeSpan.FromMilliseconds(100);
                    task.Description = string.Create(CultureInfo.InvariantCulture,
                        $"epoch {epoch} loss {lossSum / seen:F4} acc {(double)correct / seen:P1} " +
                        $"{seen / clock.Elapsed.TotalSeconds:N0} img/s");
                }
            }
        }

        if (interactive)
        {
            AnsiConsole.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new RemainingTimeColumn())
                .Start(ctx => Loop(ctx.AddTask($"epoch {epoch}", maxValue: batcher.BatchCount)));
        }
        else
        {
            Loop(null);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        return (lossSum / seen, (double)correct / seen, seen / seconds);
    }

    private static void WriteMetrics(string path, Settings s, List<Dictionary<string, object>> epochs)
    {
        var document = new Dictionary<string, object>
        {
            ["model"] = s.Model,
            ["optimizer"] = s.Optimizer,
            ["batch_size"] = s.BatchSize,
            ["seed"] = s.Seed,
            ["epochs"] = epochs,
        };
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, full, overwrite: true);
    }
}
