using System.Globalization;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Inference;
using GpuCnn.Kernels;

namespace GpuCnn.Models;

/// <summary>The models the command line knows by name.</summary>
public static class ModelZoo
{
    /// <summary>Names accepted by <see cref="Build"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["lenet5", "seednet"];

    /// <summary>The per-sample input shape of a model.</summary>
    public static Shape InputShape(string name) => name.ToLowerInvariant() switch
    {
        "lenet5" => LeNet5.InputShape,
        "seednet" => SeedNet.InputShape,
        _ => throw Unknown(name),
    };

    /// <summary>
    /// Builds model <paramref name="name"/> on <paramref name="accelerator"/> with a classifier head of
    /// <paramref name="classes"/> outputs. Only the head depends on the class count, so a checkpoint of the 10-class
    /// model loads into a 5-class one with <see cref="GpuCnn.Engine.Checkpoints.Checkpoint.LoadMatching"/>, all but
    /// the head.
    /// </summary>
    public static Network Build(string name, Accelerator accelerator, int maxBatch = 64, ulong seed = 0,
        bool inputRequiresGrad = false, int classes = 10)
    {
        if (classes < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classifier needs at least 2 classes.");
        }

        var g = new GraphBuilder();
        var x = g.Input(InputShape(name), inputRequiresGrad);
        var output = name.ToLowerInvariant() switch
        {
            "lenet5" => LeNet5.Define(g, x, classes),
            "seednet" => SeedNet.Define(g, x, classes),
            _ => throw Unknown(name),
        };
        try
        {
            return g.Build(output, accelerator, maxBatch, seed);
        }
        catch (DeviceMemoryException e)
        {
            // Only on this error path: size the whole training step from the shapes, on a throwaway host copy.
            using var host = new Kernels.Cpu.CpuAccelerator(1);
            using var probe = g.Build(output, host, maxBatch: 1);
            var needed = ModelSummary.Of(probe).TrainingStepBytes(maxBatch);
            throw new DeviceMemoryException(
                $"Model '{name}' at batch size {maxBatch} needs about {needed / (1 << 20):N0} MiB of device memory " +
                $"for a training step with Adam (parameters, gradients, optimizer state and activations), more " +
                $"than {accelerator.Name} could give. {e.Message}", Math.Max(needed, e.BytesNeeded), e);
        }
    }

    /// <summary>
    /// Builds model <paramref name="name"/>, loads <paramref name="checkpointPath"/> into it (strictly: every
    /// parameter with its shape) and returns a thread-safe classifier that owns the network. The class count is the
    /// checkpoint's <c>classes</c> entry when <paramref name="classes"/> is not given (10 for files without one).
    /// </summary>
    public static Classifier LoadClassifier(string name, string checkpointPath, Accelerator accelerator,
        int? classes = null, int maxBatch = 64)
    {
        var saved = Checkpoint.ReadMetadata(checkpointPath);
        var count = classes ?? (saved.TryGetValue(ClassesKey, out var text)
            ? int.Parse(text, CultureInfo.InvariantCulture) : 10);
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

    private static ArgumentException Unknown(string name) =>
        new($"Unknown model '{name}'; known models: {string.Join(", ", Names)}.");
}
