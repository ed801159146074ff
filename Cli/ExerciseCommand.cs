using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using GpuCnn.Cli.Plotting;
using GpuCnn.Cli.Train;
using GpuCnn.Datasets;
using GpuCnn.Engine.Training;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary>
/// <c>gpucnn exercise</c>: the lecture notes' programming task. Trains the exercise network (<c>seednet</c>) on
/// MNIST with Adam, Adadelta and SGD with momentum, with categorical cross-entropy, and plots their loss curves in
/// one picture beside CSVs of every step and epoch.
/// </summary>
internal static class ExerciseCommand
{
    private const string Model = "seednet";

    /// <summary>The optimizers compared: the name <c>train --optimizer</c> takes, a label, and the learning rate.
    /// </summary>
    private static readonly (string Name, string Label, float Lr)[] Optimizers =
        [("adam", "Adam", 1e-3f), ("adadelta", "Adadelta", 1f), ("sgd", "SGD", 0.01f)];

    private const float Momentum = 0.9f;

    public static Command Create()
    {
        var epochs = new Option<int>("--epochs")
        {
            Description = "Epochs per optimizer",
            DefaultValueFactory = _ => 10,
        }.AtLeast(1);
        var output = new Option<string>("--out")
        {
            Description = "Folder for loss-curves.png, loss-curves.csv and summary.csv",
            DefaultValueFactory = _ => "exercise",
        };
        var dataDir = CommonOptions.DataDir();
        var device = CommonOptions.Device();
        var batchSize = CommonOptions.BatchSize();
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed of initialisation, shuffling and dropout, the same for every optimizer",
            DefaultValueFactory = _ => 0,
        };
        var limit = new Option<int?>("--limit-train") { Description = "Train on the first N images only" }.AtLeast(1);
        var command = new Command("exercise",
            "Train the exercise network with Adam, Adadelta and SGD and plot their loss curves")
        {
            epochs, output, dataDir, device, batchSize, seed, limit,
        };
        command.SetAction(parse => Run(parse.GetValue(epochs), parse.GetValue(output)!, parse.GetValue(dataDir)!,
            parse.GetValue(device)!, parse.GetValue(batchSize), parse.GetValue(seed), parse.GetValue(limit)));
        return command;
    }

    private sealed record Outcome(string Label, float Lr, RunCurves Curves, double Seconds);

    private static int Run(int epochs, string output, string dataDir, string device, int batchSize, ulong seed,
        int? limit)
    {
        OutputPaths.CheckFolder("--out", output);
        var (train, test) = Mnist.LoadOrFetch(dataDir, message => Console.Error.WriteLine(message));
        if (limit is { } n)
        {
            train = train.Slice(0, Math.Min(n, train.Count));
        }

        Directory.CreateDirectory(output);
        using var accelerator = Devices.Open(device);
        var outcomes = new List<Outcome>();
        for (var i = 0; i < Optimizers.Length; i++)
        {
            var (name, label, lr) = Optimizers[i];
            outcomes.Add(Train(name, label, lr, TrainingCurves.Palette[i], accelerator, train, test, epochs,
                batchSize, seed));
            // Written after each optimizer, so that a long run shows its first curves before it is done.
            Write(output, outcomes, train.Count);
        }

        Console.WriteLine();
        Console.WriteLine($"{Model} on MNIST, {epochs} epoch{(epochs == 1 ? "" : "s")} each " +
            $"({train.Count:N0} training images, batch {batchSize}, seed {seed}):");
        Console.WriteLine("optimizer  learning rate  test accuracy  test loss  seconds");
        foreach (var o in outcomes)
        {
            var last = o.Curves.Epochs[^1];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{o.Label,-9}  {o.Lr,13:G}  {last.TestAccuracy,13:P2}  {last.TestLoss,9:F4}  {o.Seconds,7:F0}"));
        }

        Console.WriteLine($"Wrote {Path.Combine(output, "loss-curves.png")}, loss-curves.csv and summary.csv.");
        return outcomes.All(o => o.Curves.Epochs.Count == epochs) ? 0 : 1;
    }

    private static Outcome Train(string name, string label, float lr, uint rgb, Kernels.Accelerator accelerator,
        MnistDataset train, MnistDataset test, int epochs, int batchSize, ulong seed)
    {
        // The same seed for every optimizer: the same initial weights, data order and dropout masks, so that the
        // curves differ by the optimizer alone.
        using var network = ModelZoo.Build(Model, accelerator, batchSize, seed);
        using var optimizer = OptimizerSettings.Create(name, lr, Momentum, network);
        using var trainer = new Trainer(network, optimizer);
        var source = new BatcherSource(new MnistBatcher(train, batchSize, shuffle: true, seed));
        var recorder = new LossRecorder(source.BatchCount);
        var callbacks = new List<TrainingCallback>();
        if (!Console.IsOutputRedirected)
        {
            callbacks.Add(new TrainingProgress(source.BatchCount));
        }

        callbacks.Add(new EpochReport(epochs, null, []));
        callbacks.Add(recorder);
        var loop = new FitLoop(trainer, source, MnistEvaluation.Source(test, batchSize), epochs, callbacks);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: {optimizer.Name} lr {optimizer.LearningRate}" +
            $"{(name == "sgd" ? $", momentum {Momentum}" : "")}, {epochs} epochs"));
        var clock = Stopwatch.StartNew();
        var result = loop.Run();
        if (result.Outcome != FitOutcome.Completed)
        {
            Console.Error.WriteLine($"{label}: {result.Message}");
        }

        return new Outcome(label, lr, new RunCurves(label, rgb, recorder.Steps, [.. loop.History]),
            clock.Elapsed.TotalSeconds);
    }

    private static void Write(string output, IReadOnlyList<Outcome> outcomes, int trainCount)
    {
        var c = CultureInfo.InvariantCulture;
        var curves = new StringBuilder(
            "optimizer,kind,epoch,step,epoch_fraction,train_loss_smoothed,train_loss,train_accuracy,test_loss," +
            "test_accuracy\n");
        foreach (var o in outcomes)
        {
            foreach (var s in o.Curves.Steps)
            {
                curves.Append(string.Create(c,
                    $"{o.Label},step,{s.Epoch},{s.Step},{s.EpochFraction:G6},{s.Smoothed:G6},{s.Loss:G6},,,\n"));
            }

            // An epoch row's training loss and accuracy are the epoch's means, measured with dropout on.
            foreach (var e in o.Curves.Epochs)
            {
                curves.Append(string.Create(c,
                    $"{o.Label},epoch,{e.Epoch},,{e.Epoch},,{e.TrainLoss:G6},{e.TrainAccuracy:G6},{e.TestLoss:G6}," +
                    $"{e.TestAccuracy:G6}\n"));
            }
        }

        var summary = new StringBuilder("optimizer,learning_rate,epochs,test_accuracy,test_loss,seconds\n");
        foreach (var o in outcomes)
        {
            var last = o.Curves.Epochs.Count > 0 ? o.Curves.Epochs[^1] : null;
            summary.Append(string.Create(c,
                $"{o.Label},{o.Lr:G},{o.Curves.Epochs.Count},{last?.TestAccuracy ?? double.NaN:G6}," +
                $"{last?.TestLoss ?? double.NaN:G6},{o.Seconds:F1}\n"));
        }

        File.WriteAllText(Path.Combine(output, "loss-curves.csv"), curves.ToString());
        File.WriteAllText(Path.Combine(output, "summary.csv"), summary.ToString());
        TrainingCurves.Save(Path.Combine(output, "loss-curves.png"),
            string.Create(c, $"{Model} on MNIST ({trainCount:N0} images): Adam, Adadelta and SGD"),
            outcomes.Select(o => o.Curves).ToList(), LossRecorder.DefaultBeta);
    }
}
