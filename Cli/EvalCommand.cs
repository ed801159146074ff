using System.CommandLine;
using System.Globalization;
using GpuCnn.Cli.Plotting;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn eval</c>: test loss, top-1 and top-5 accuracy, per-class accuracy and the confusion matrix of
/// a saved model.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = CheckpointModel.ModelOption();
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to load", Required = true };
        var device = CommonOptions.Device();
        var dataset = CommonOptions.Dataset();
        var dataDir = CommonOptions.Data();
        var batchSize = CommonOptions.BatchSize();
        var plot = new Option<string?>("--plot")
        {
            HelpName = "PATH.png",
            Description = "Also draw the confusion matrix as a PNG heat map",
        };
        var command = new Command("eval", "Evaluate a checkpoint on the test set of MNIST, CIFAR-10 or an image folder")
        {
            model, checkpoint, device, dataset, dataDir, batchSize, plot,
        };
        command.SetAction(parse => Run(parse.GetValue(model), parse.GetValue(checkpoint)!, parse.GetValue(device)!,
            parse.GetValue(dataset), parse.GetValue(dataDir), parse.GetValue(batchSize), parse.GetValue(plot)));
        return command;
    }

    private static int Run(string? model, string path, string device, string? dataset, string? dataDir, int batch,
        string? plot)
    {
        if (CheckpointModel.Read(path, model) is not { } saved)
        {
            return 2;
        }

        // Without --dataset, the test set of the dataset the checkpoint was trained on.
        dataset ??= saved.Dataset is { } trainedOn && TrainingData.Names.Contains(trainedOn)
            ? trainedOn : TrainingData.DefaultFor(saved.Input);
        if (TrainingData.ShapeMismatch(dataset, saved.Model) is { } message)
        {
            Console.Error.WriteLine(message);
            return 2;
        }

        OutputPaths.Check(("--plot", plot));
        using var accelerator = Devices.Open(device);
        using var network = ModelZoo.Build(saved.Model, accelerator, batch, classes: saved.Classes);
        Checkpoint.Load(path, network);

        // A model trained on a digit subset has a smaller head and is tested on the same digits.
        var data = TrainingData.Load(dataset, dataDir, saved.Input,
            dataset == TrainingData.MnistName ? saved.Digits : null, withTrain: false, m => Console.Error.WriteLine(m));
        if (Mismatch(saved, data) is { } problem)
        {
            Console.Error.WriteLine(problem);
            return 2;
        }

        Console.Error.WriteLine($"Evaluating {saved.Model} on {data.Test.Count:N0} test images of {data.Title}...");
        var (loss, accuracy, matrix) = Evaluate(network, data.TestSource(batch));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"test loss {loss:F4} accuracy {accuracy:P2} ({data.Test.Count:N0} images)"));
        Console.Write(matrix.Format(saved.Label));
        if (plot is not null)
        {
            ConfusionPlot.Save(plot, matrix, saved.Label, string.Create(CultureInfo.InvariantCulture,
                $"{saved.Model} on {data.Title}: top-1 {matrix.TopAccuracy(1):P2}"));
            Console.WriteLine($"{plot}: the confusion matrix");
        }

        return 0;
    }

    // Why the labels of the test set cannot be read against the model's head; null when they can.
    private static string? Mismatch(CheckpointModel saved, TrainingData data)
    {
        if (data.Name == TrainingData.FolderName && saved.FolderClasses is { } names &&
            !names.SequenceEqual(data.Test.ClassNames))
        {
            return $"{saved.Path} was trained on the classes {string.Join(", ", names)} but {data.Directory} has " +
                $"{string.Join(", ", data.Test.ClassNames)}; the labels would not match.";
        }

        return data.ClassCount > saved.Classes
            ? $"{data.Title} has {data.ClassCount} classes but the model's head has {saved.Classes} outputs."
            : null;
    }

    /// <summary>
    /// Mean loss, accuracy (as training reports it) and the confusion matrix of <paramref name="network"/> over
    /// every batch of <paramref name="source"/>, in evaluation mode.
    /// </summary>
    public static (double Loss, double Accuracy, ConfusionMatrix Matrix) Evaluate(Network network,
        IBatchSource source)
    {
        // The optimizer is not used; the trainer only needs one to exist.
        using var optimizer = new Sgd(network.Parameters(), 0f);
        using var trainer = new Trainer(network, optimizer);
        int classes = network.OutputShape[0];
        var matrix = new ConfusionMatrix(classes);
        double lossSum = 0;
        long correct = 0;
        foreach (var batch in source.Epoch(0))
        {
            var result = trainer.Evaluate(batch.Inputs, batch.Labels, batch.Count);
            lossSum += (double)result.Loss * batch.Count;
            correct += result.Correct;
            // Scores or probabilities rank the classes alike.
            var scores = network.OutputOf(network.Output).ToArray();
            for (int i = 0; i < batch.Count; i++)
            {
                matrix.Add(scores.AsSpan(i * classes, classes), batch.Labels[i]);
            }
        }

        return matrix.Total == 0 ? (double.NaN, double.NaN, matrix)
            : (lossSum / matrix.Total, (double)correct / matrix.Total, matrix);
    }
}
