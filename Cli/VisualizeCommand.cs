using System.CommandLine;
using System.Globalization;
using GpuCnn.Cli.Plotting;
using GpuCnn.Datasets;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Inference;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary>
/// <c>gpucnn visualize</c>: pictures of what a trained network has learned: the first convolution's filters, and
/// the feature maps chosen layers produce for one input (an MNIST test image or a picture of your own).
/// </summary>
internal static class VisualizeCommand
{
    public static Command Create()
    {
        var model = CheckpointModel.ModelOption();
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to load", Required = true };
        var sample = new Option<int>("--sample")
        {
            Description = "Index of the MNIST test image to feed (ignored with --image)",
            DefaultValueFactory = _ => 0,
        }.AtLeast(0);
        var image = new Option<string?>("--image")
        {
            Description = "An image file (PNG, JPEG, BMP, GIF, WebP, TIFF) to feed instead, prepared as predict " +
                "does: scaled to the input size; for a model trained on MNIST made grey and inverted when mostly light",
        };
        var layers = new Option<string?>("--layers")
        {
            Description = "Comma-separated layers whose feature maps to draw (default: every convolution)",
        };
        var output = new Option<string>("--out")
        {
            Description = "Folder for the PNGs",
            DefaultValueFactory = _ => "visualize",
        };
        var device = CommonOptions.Device();
        var dataDir = CommonOptions.DataDir();
        var command = new Command("visualize", "Draw a trained model's first-layer filters and its feature maps")
        {
            model, checkpoint, sample, image, layers, output, device, dataDir,
        };
        command.SetAction(parse => Run(parse.GetValue(model), parse.GetValue(checkpoint)!, parse.GetValue(sample),
            parse.GetValue(image), parse.GetValue(layers), parse.GetValue(output)!, parse.GetValue(device)!,
            parse.GetValue(dataDir)!));
        return command;
    }

    private static int Run(string? model, string checkpoint, int sample, string? imagePath, string? layerList,
        string output, string device, string dataDir)
    {
        if (CheckpointModel.Read(checkpoint, model) is not { } saved)
        {
            return 2;
        }

        using var accelerator = Devices.Open(device);
        using var network = ModelZoo.Build(saved.Model, accelerator, maxBatch: 1, classes: saved.Classes);
        Checkpoint.Load(checkpoint, network);
        var convolutions = network.Nodes.Where(n => n.Kind == "Conv2d").ToList();
        if (convolutions.Count == 0)
        {
            Console.Error.WriteLine($"{saved.Model} has no convolution to draw.");
            return 2;
        }

        if (Layers(network, saved.Model, layerList, convolutions) is not { } layers ||
            Input(saved, sample, imagePath, dataDir) is not (var input, var source))
        {
            return 2;
        }

        OutputPaths.CheckFolder("--out", output);
        DrawFilters(convolutions[0], output);

        // Predict runs in evaluation mode: dropout off, so the maps are what inference sees.
        // Most models end in logits; only their softmax is a probability.
        var prediction = Classifier.FromScores(network.Predict(input, 1), network.Output.Kind == "Softmax");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Input: {source}; predicted {saved.Label(prediction.Class)} ({prediction.Confidence:P1})."));
        var shape = network.InputShape;
        var inputPath = Path.Combine(output, "input.png");
        int plane = shape[1] * shape[2];
        ImageGrid.Save(inputPath, [.. Enumerable.Range(0, shape[0]).Select(c => input[(c * plane)..((c + 1) * plane)])],
            shape[1], shape[2], scale: 8);
        foreach (var layer in layers)
        {
            var maps = LayerTiles.FeatureMaps(network.OutputOf(layer).ToArray(), layer.OutputShape);
            var path = Path.Combine(output, $"features-{layer.Name}.png");
            ImageGrid.Save(path, maps, layer.OutputShape[1], layer.OutputShape[2], 0,
                Math.Max(1, 112 / layer.OutputShape[1]), gap: 4, separator: 255);
            Console.WriteLine($"{path}: {maps.Count} tiles of {layer.OutputShape[1]}x{layer.OutputShape[2]}");
        }

        return 0;
    }

    // The layers of --layers (default: the convolutions); null after printing which name has no feature maps.
    private static List<Node>? Layers(Network network, string model, string? layerList, List<Node> convolutions)
    {
        var names = layerList?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            ?? [.. convolutions.Select(n => n.Name)];
        var spatial = network.Nodes.Where(n => n.OutputShape.Rank == 3 && n != network.Input).Select(n => n.Name)
            .ToList();
        if (names.FirstOrDefault(name => !spatial.Contains(name)) is { } wrong)
        {
            var what = network.Nodes.Any(n => n.Name == wrong)
                ? $"'{wrong}' outputs {network.Node(wrong).OutputShape}, not (C, H, W) feature maps"
                : $"{model} has no layer '{wrong}'";
            Console.Error.WriteLine($"--layers: {what}; layers with feature maps: {string.Join(", ", spatial)}.");
            return null;
        }

        return [.. names.Select(network.Node)];
    }

    // The normalised input (the picture of --image, else MNIST test image --sample) and words saying what it is;
    // null after printing why --sample cannot be used.
    private static (float[] Input, string Source)? Input(CheckpointModel saved, int sample, string? imagePath,
        string dataDir)
    {
        if (imagePath is not null)
        {
            var prepared = saved.Prepare(ImageFile.Load(imagePath));
            return (prepared.Values, $"{imagePath} ({prepared.Description})");
        }

        if (!saved.Input.Equals(TrainingData.MnistShape))
        {
            Console.Error.WriteLine($"--sample feeds MNIST test images, but {saved.Model} takes " +
                $"{TrainingData.Format(saved.Input)} input; pass --image with a picture instead.");
            return null;
        }

        var (_, test) = Mnist.LoadOrFetch(dataDir, message => Console.Error.WriteLine(message));
        if (sample < 0 || sample >= test.Count)
        {
            Console.Error.WriteLine($"--sample must be between 0 and {test.Count - 1}.");
            return null;
        }

        return (test.Image(sample).ToArray().Select(p => (p / 255f - Mnist.Mean) / Mnist.Std).ToArray(),
            $"test image {sample} (label {test.Labels[sample]})");
    }

    private static void DrawFilters(Node first, string output)
    {
        var weight = first.Parameters[0];
        var (filters, columns) = LayerTiles.Filters(weight.ToArray(), weight.Shape);
        // Small filters are a few pixels wide: blown up to about 40 pixels (at least x8) their pattern shows, and
        // wide white gaps keep neighbouring tiles, each stretched from black to white, from running together.
        var filterPath = Path.Combine(output, $"filters-{first.Name}.png");
        ImageGrid.Save(filterPath, filters, weight.Shape[2], weight.Shape[3], columns,
            Math.Max(8, 40 / weight.Shape[2]), gap: 6, separator: 255);
        Console.WriteLine($"{filterPath}: {filters.Count} tiles, {weight.Name} {weight.Shape}");
    }
}
