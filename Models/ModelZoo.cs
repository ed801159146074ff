using GpuCnn.Engine;
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

    /// <summary>Builds model <paramref name="name"/> on <paramref name="accelerator"/>.</summary>
    public static Network Build(string name, Accelerator accelerator, int maxBatch = 64, ulong seed = 0,
        bool inputRequiresGrad = false)
    {
        var g = new GraphBuilder();
        var x = g.Input(InputShape(name), inputRequiresGrad);
        var output = name.ToLowerInvariant() switch
        {
            "lenet5" => LeNet5.Define(g, x),
            "seednet" => SeedNet.Define(g, x),
            _ => throw Unknown(name),
        };
        return g.Build(output, accelerator, maxBatch, seed);
    }

    private static ArgumentException Unknown(string name) =>
        new($"Unknown model '{name}'; known models: {string.Join(", ", Names)}.");
}
