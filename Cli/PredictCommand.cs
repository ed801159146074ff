using System.CommandLine;
using System.Globalization;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Engine.Inference;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn predict</c>: classifies image files with a saved model.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = CheckpointModel.ModelOption();
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to load", Required = true };
        var device = CommonOptions.Device();
        var images = new Argument<string[]>("images")
        {
            Description = "Image files (PNG, JPEG, BMP, GIF, WebP, TIFF), resized to the model's input. For a model " +
                "trained on MNIST: made grey, and inverted when mostly light, as MNIST draws light strokes on black",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("predict", "Classify images with a checkpoint") { model, checkpoint, device };
        command.Arguments.Add(images);
        command.SetAction(parse => Run(parse.GetValue(model), parse.GetValue(checkpoint)!, parse.GetValue(device)!,
            parse.GetValue(images)!));
        return command;
    }

    private static int Run(string? model, string path, string device, string[] files)
    {
        if (CheckpointModel.Read(path, model) is not { } saved)
        {
            return 2;
        }

        using var accelerator = Devices.Open(device);
        using var classifier = ModelZoo.LoadClassifier(saved.Model, path, accelerator, saved.Classes, maxBatch: 1);
        var status = 0;
        foreach (var file in files)
        {
            PreparedInput input;
            try
            {
                input = saved.Prepare(ImageFile.Load(file));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // One unreadable file among many is reported and skipped; the exit status still says so.
                Console.Error.WriteLine($"gpucnn: {e.Message}");
                status = 1;
                continue;
            }

            var prediction = classifier.Predict(input.Values);
            Console.WriteLine($"{file}: {input.Description}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{file}: {saved.Label(prediction.Class)} ({prediction.Confidence:P1}) {Scores(saved, prediction)}"));
        }

        return status;
    }

    // Every probability for up to 10 classes; beyond that the 5 most likely, named.
    private static string Scores(CheckpointModel saved, Prediction prediction)
    {
        var p = prediction.Probabilities;
        if (p.Length <= 10)
        {
            return $"[{string.Join(" ", p.Select(v => v.ToString("F3", CultureInfo.InvariantCulture)))}]";
        }

        var top = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).Take(5);
        return $"[top 5: {string.Join(", ", top.Select(i => string.Create(CultureInfo.InvariantCulture,
            $"{saved.Label(i)} {p[i]:F3}")))}]";
    }
}
