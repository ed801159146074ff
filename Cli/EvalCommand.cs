using System.CommandLine;
using System.Globalization;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn eval</c>: test accuracy of a saved model.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model(inputs: ModelInputs.Datasets);
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to load", Required = true };
        var device = CommonOptions.Device();
        var dataset = CommonOptions.Dataset();
        var dataDir = CommonOptions.Data();
        var batchSize = CommonOptions.BatchSize();
        var command = new Command("eval", "Evaluate a checkpoint on the test set of MNIST, CIFAR-10 or an image folder")
        {
            model, checkpoint, device, dataset, dataDir, batchSize,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(checkpoint)!, parse.GetValue(device)!,
            parse.GetValue(dataset), parse.GetValue(dataDir), parse.GetValue(batchSize)));
        return command;
    }

    private static int Run(string model, string path, string device, string? dataset, string? dataDir, int batch)
    {
        var saved = Checkpoint.ReadMetadata(path);
        var input = ModelZoo.InputShape(model);
        // Without --dataset, the test set of the dataset the checkpoint was trained on.
        dataset ??= saved.TryGetValue(TrainingData.DatasetKey, out var trainedOn) &&
            TrainingData.Names.Contains(trainedOn) ? trainedOn : TrainingData.DefaultFor(input);
        if (TrainingData.ShapeMismatch(dataset, model) is { } message)
        {
            Console.Error.WriteLine(message);
            return 2;
        }

        var classes = saved.TryGetValue(ModelZoo.ClassesKey, out var text)
            ? int.Parse(text, CultureInfo.InvariantCulture) : 10;
        using var accelerator = Devices.Open(device);
        using var network = ModelZoo.Build(model, accelerator, batch, classes: classes);
        Checkpoint.Load(path, network);

        // A model trained on a digit subset has a smaller head and is tested on the same digits.
        var digits = dataset == TrainingData.MnistName && saved.TryGetValue("digits", out var list)
            ? DigitList.Parse(list) : null;
        var data = TrainingData.Load(dataset, dataDir, input, digits, withTrain: false,
            m => Console.Error.WriteLine(m));
        if (dataset == TrainingData.FolderName && saved.TryGetValue(TrainingData.ClassNamesKey, out var names) &&
            names != string.Join('/', data.Test.ClassNames))
        {
            Console.Error.WriteLine($"{path} was trained on the classes " +
                $"{names.Replace("/", ", ", StringComparison.Ordinal)} but {data.Directory} has " +
                $"{string.Join(", ", data.Test.ClassNames)}; the labels would not match.");
            return 2;
        }

        if (data.ClassCount > classes)
        {
            Console.Error.WriteLine($"{data.Title} has {data.ClassCount} classes but the model's head has {classes} " +
                "outputs.");
            return 2;
        }

        // The optimizer is not used; the trainer only needs one to exist.
        using var optimizer = new Sgd(network.Parameters(), 0f);
        using var trainer = new Trainer(network, optimizer);
        var (loss, accuracy) = FitLoop.Evaluate(trainer, data.TestSource(batch));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"test loss {loss:F4} accuracy {accuracy:P2} ({data.Test.Count:N0} images)"));
        return 0;
    }
}
