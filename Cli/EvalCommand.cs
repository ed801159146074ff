using System.CommandLine;
using System.Globalization;
using GpuCnn.Datasets;
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
        var model = CommonOptions.Model();
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to load", Required = true };
        var device = CommonOptions.Device();
        var dataDir = CommonOptions.DataDir();
        var batchSize = CommonOptions.BatchSize();
        var command = new Command("eval", "Evaluate a checkpoint on the MNIST test set")
        {
            model, checkpoint, device, dataDir, batchSize,
        };
        command.SetAction(parse =>
        {
            var (_, test) = Mnist.LoadOrFetch(parse.GetValue(dataDir)!, m => Console.Error.WriteLine(m));
            using var accelerator = Devices.Open(parse.GetValue(device)!);
            var batch = parse.GetValue(batchSize);
            var path = parse.GetValue(checkpoint)!;
            // A model trained on a digit subset has a smaller head and is tested on the same digits.
            var saved = Checkpoint.ReadMetadata(path);
            if (saved.TryGetValue("digits", out var digits))
            {
                test = test.SelectClasses(DigitList.Parse(digits));
            }

            var classes = saved.TryGetValue(ModelZoo.ClassesKey, out var text)
                ? int.Parse(text, CultureInfo.InvariantCulture) : 10;
            using var network = ModelZoo.Build(parse.GetValue(model)!, accelerator, batch, classes: classes);
            Checkpoint.Load(path, network);
            // The optimizer is not used; the trainer only needs one to exist.
            using var optimizer = new Sgd(network.Parameters(), 0f);
            using var trainer = new Trainer(network, optimizer);
            var (loss, accuracy) = MnistEvaluation.Run(trainer, test, batch);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"test loss {loss:F4} accuracy {accuracy:P2} ({test.Count:N0} images)"));
            return 0;
        });
        return command;
    }
}
