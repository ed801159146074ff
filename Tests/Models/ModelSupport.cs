using GpuCnn.Engine;

namespace GpuCnn.Tests.Models;

/// <summary>Shape-only views of model definitions: nothing here allocates a tensor.</summary>
internal static class ModelSupport
{
    /// <summary>Defines a model on a fresh input of <paramref name="input"/> and summarises it.</summary>
    public static ModelSummary Summarise(Shape input, Func<GraphBuilder, Node, Node> define)
    {
        var g = new GraphBuilder();
        return ModelSummary.Of(g, define(g, g.Input(input)));
    }

    /// <summary>Learned parameters of a graph with several outputs, each tensor counted once.</summary>
    public static long TotalParameters(GraphBuilder g, params Node[] outputs) => outputs
        .SelectMany(o => ModelSummary.Of(g, o).Tensors)
        .Where(t => t.IsParameter)
        .DistinctBy(t => t.Name)
        .Sum(t => (long)t.Shape.Size);

    /// <summary>The row of node <paramref name="name"/>.</summary>
    public static SummaryRow Row(this ModelSummary summary, string name) => summary.Rows.Single(r => r.Name == name);

    /// <summary>"name&lt;TAB&gt;d0,d1,..." lines, the format of the torchvision fixtures.</summary>
    public static IEnumerable<string> KeyLines(IEnumerable<SummaryTensor> tensors) =>
        tensors.Select(t => $"{t.Name}\t{string.Join(',', t.Shape.ToArray())}");

    /// <summary>The lines of fixture <c>Models/fixtures/{name}.keys.txt</c> (made by make_fixtures.py).</summary>
    public static string[] Fixture(string name) =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Models", "fixtures", $"{name}.keys.txt"));
}
