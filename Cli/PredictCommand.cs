using System.CommandLine;
using System.Globalization;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn predict</c>: classifies PNG files with a saved model.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to load", Required = true };
        var device = CommonOptions.Device();
        var images = new Argument<string[]>("images")
        {
            Description = "PNG files: turned grey, resized to the model's input and normalised like MNIST (white " +
                "strokes on black, as MNIST draws them)",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("predict", "Classify PNG images with a checkpoint") { model, checkpoint, device };
        command.Arguments.Add(images);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(checkpoint)!;
            var name = parse.GetValue(model)!;
            // A model trained on a digit subset answers with positions in that list; print the digits instead.
            var saved = Checkpoint.ReadMetadata(path);
            var digits = saved.TryGetValue("digits", out var text) ? DigitList.Parse(text) : null;
            using var accelerator = Devices.Open(parse.GetValue(device)!);
            using var classifier = ModelZoo.LoadClassifier(name, path, accelerator, maxBatch: 1);
            var shape = classifier.InputShape;
            foreach (var file in parse.GetValue(images)!)
            {
                var prediction = classifier.Predict(GreyInput.LoadMnistStyle(file, shape[2], shape[1]));
                var label = digits is null ? prediction.Class : digits[prediction.Class];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{file}: {label} ({prediction.Confidence:P1}) [{string.Join(" ",
                        prediction.Probabilities.Select(p => p.ToString("F3", CultureInfo.InvariantCulture)))}]"));
            }

            return 0;
        });
        return command;
    }
}
