using System.Globalization;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Inference;
using GpuCnn.Kernels;

namespace GpuCnn.Models;

/// <summary>The models the command line knows by name.</summary>
public static class ModelZoo
{
    private sealed record Entry(Shape Input, int Classes, Func<GraphBuilder, Node, int, Node> Define);

    // In the order `gpucnn summary --help` lists them: MNIST, ImageNet (as published), then CIFAR-10.
    private static readonly (string Name, Entry Entry)[] Entries =
    [
        ("lenet5", new(LeNet5.InputShape, 10, (g, x, k) => LeNet5.Define(g, x, k))),
        ("seednet", new(SeedNet.InputShape, 10, (g, x, k) => SeedNet.Define(g, x, k))),
        ("alexnet", new(AlexNet.InputShape, 1000, (g, x, k) => AlexNet.Define(g, x, k))),
        ("alexnet-paper", new(AlexNet.PaperInputShape, 1000, (g, x, k) => AlexNet.DefinePaper(g, x, k))),
        ("zfnet", new(ZFNet.InputShape, 1000, (g, x, k) => ZFNet.Define(g, x, k))),
        ("vgg11", VggEntry(VggConfig.A)),
        ("vgg11-lrn", VggEntry(VggConfig.ALrn)),
        ("vgg13", VggEntry(VggConfig.B)),
        ("vgg13c", VggEntry(VggConfig.C)),
        ("vgg16", VggEntry(VggConfig.D)),
        ("vgg19", VggEntry(VggConfig.E)),
        ("vgg11-bn", VggEntry(VggConfig.A, batchNorm: true)),
        ("vgg13-bn", VggEntry(VggConfig.B, batchNorm: true)),
        ("vgg16-bn", VggEntry(VggConfig.D, batchNorm: true)),
        ("vgg19-bn", VggEntry(VggConfig.E, batchNorm: true)),
        ("resnet18", new(ResNet.InputShape, 1000, (g, x, k) => ResNet.ResNet18(g, x, k))),
        ("resnet34", new(ResNet.InputShape, 1000, (g, x, k) => ResNet.ResNet34(g, x, k))),
        ("resnet50", new(ResNet.InputShape, 1000, (g, x, k) => ResNet.ResNet50(g, x, k))),
        ("resnet101", new(ResNet.InputShape, 1000, (g, x, k) => ResNet.ResNet101(g, x, k))),
        ("resnet152", new(ResNet.InputShape, 1000, (g, x, k) => ResNet.ResNet152(g, x, k))),
        ("googlenet", new(GoogLeNet.InputShape, 1000, (g, x, k) => GoogLeNet.Define(g, x, k))),
        ("densenet121", new(DenseNet.InputShape, 1000, (g, x, k) => DenseNet.DenseNet121(g, x, k))),
        ("vgg11-cifar", new(Vgg.CifarInputShape, 10, (g, x, k) => Vgg.DefineCifar(g, x, VggConfig.A, k))),
        ("vgg16-cifar", new(Vgg.CifarInputShape, 10, (g, x, k) => Vgg.DefineCifar(g, x, VggConfig.D, k))),
        ("resnet18-cifar", new(ResNet.CifarInputShape, 10, (g, x, k) => ResNet.ResNet18Cifar(g, x, k))),
    ];

    /// <summary>Names accepted by <see cref="Build"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Entries.Select(e => e.Name)];

    /// <summary>The per-sample input shape of a model.</summary>
    public static Shape InputShape(string name) => Find(name).Input;

    /// <summary>The class count of a model as published: 10 for the MNIST and CIFAR-10 models, 1000 for the
    /// ImageNet ones.</summary>
    public static int DefaultClasses(string name) => Find(name).Classes;

    /// <summary>
    /// Adds model <paramref name="name"/> to <paramref name="g"/>, input included, and returns its output node:
    /// the definition <see cref="Build"/> builds, and what <see cref="Summary"/> describes without building.
    /// </summary>
    public static Node Define(GraphBuilder g, string name, int? classes = null, bool inputRequiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(g);
        var entry = Find(name);
        var count = classes ?? entry.Classes;
        if (count < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), count, "A classifier needs at least 2 classes.");
        }

        return entry.Define(g, g.Input(entry.Input, inputRequiresGrad), count);
    }

    /// <summary>The shape-only summary of model <paramref name="name"/>: shapes, parameters, multiply-adds and
    /// receptive fields, with nothing allocated, so the largest models are described at once anywhere.</summary>
    public static ModelSummary Summary(string name, int? classes = null)
    {
        var g = new GraphBuilder();
        return ModelSummary.Of(g, Define(g, name, classes));
    }

    /// <summary>
    /// Builds model <paramref name="name"/> on <paramref name="accelerator"/> with a classifier head of
    /// <paramref name="classes"/> outputs (the model's <see cref="DefaultClasses"/> when not given). Only the head
    /// depends on the class count, so a checkpoint of the 10-class model loads into a 5-class one with
    /// <see cref="GpuCnn.Engine.Checkpoints.Checkpoint.LoadMatching"/>, all but the head.
    /// </summary>
    public static Network Build(string name, Accelerator accelerator, int maxBatch = 64, ulong seed = 0,
        bool inputRequiresGrad = false, int? classes = null)
    {
        var g = new GraphBuilder();
        var output = Define(g, name, classes, inputRequiresGrad);
        try
        {
            return g.Build(output, accelerator, maxBatch, seed);
        }
        catch (DeviceMemoryException e)
        {
            // Only on this error path: size the whole training step from the shapes alone.
            var needed = ModelSummary.Of(g, output).TrainingStepBytes(maxBatch);
            throw new DeviceMemoryException(
                $"Model '{name}' at batch size {maxBatch} needs about {needed / (1 << 20):N0} MiB of device memory " +
                $"for a training step with Adam (parameters, gradients, optimizer state and activations), more " +
                $"than {accelerator.Name} could give. {e.Message}", Math.Max(needed, e.BytesNeeded), e);
        }
    }

    /// <summary>
    /// Builds model <paramref name="name"/>, loads <paramref name="checkpointPath"/> into it (strictly: every
    /// parameter with its shape) and returns a thread-safe classifier that owns the network. The class count is the
    /// checkpoint's <c>classes</c> entry when <paramref name="classes"/> is not given (the model's
    /// <see cref="DefaultClasses"/> for files without one).
    /// </summary>
    public static Classifier LoadClassifier(string name, string checkpointPath, Accelerator accelerator,
        int? classes = null, int maxBatch = 64)
    {
        var saved = Checkpoint.ReadMetadata(checkpointPath);
        var count = classes ?? (saved.TryGetValue(ClassesKey, out var text)
            ? int.Parse(text, CultureInfo.InvariantCulture) : DefaultClasses(name));
        var network = Build(name, accelerator, maxBatch, classes: count);
        try
        {
            Checkpoint.Load(checkpointPath, network);
            return new Classifier(network);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The checkpoint metadata entry holding the class count of the head.</summary>
    public const string ClassesKey = "classes";

    private static Entry VggEntry(VggConfig config, bool batchNorm = false) =>
        new(Vgg.InputShape, 1000, (g, x, k) => Vgg.Define(g, x, config, k, batchNorm));

    private static Entry Find(string name) =>
        Entries.FirstOrDefault(e => e.Name == name.ToLowerInvariant()).Entry ??
        throw new ArgumentException($"Unknown model '{name}'; known models: {string.Join(", ", Names)}.");
}
