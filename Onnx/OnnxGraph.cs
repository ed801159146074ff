using System.Text.RegularExpressions;
using GpuCnn.Engine;
using GpuCnn.Kernels;

namespace GpuCnn.Onnx;

/// <summary>An imported ONNX model: the graph definition and the tensors its parameters and running statistics
/// start from, by their names in the graph.</summary>
public sealed partial class OnnxGraph
{
    private readonly IReadOnlyDictionary<string, (string Node, string OpType)> origins;

    internal OnnxGraph(GraphBuilder builder, Node input, Node output, IReadOnlyDictionary<string, float[]> tensors,
        IReadOnlyDictionary<string, (string Node, string OpType)> origins, int opset)
    {
        Builder = builder;
        Input = input;
        Output = output;
        Tensors = tensors;
        this.origins = origins;
        Opset = opset;
    }

    /// <summary>The builder holding the definition (more nodes can be added after <see cref="Output"/>).</summary>
    public GraphBuilder Builder { get; }

    /// <summary>The input node (per-sample shape from the model's input, the batch left free).</summary>
    public Node Input { get; }

    /// <summary>The node computing the model's output.</summary>
    public Node Output { get; }

    /// <summary>Initial values of the parameters and running statistics, by name.</summary>
    public IReadOnlyDictionary<string, float[]> Tensors { get; }

    /// <summary>The model's opset.</summary>
    public int Opset { get; }

    /// <summary>Builds the network ending in <see cref="Output"/> and loads <see cref="Tensors"/> into it.</summary>
    /// <exception cref="OnnxImportException">A node cannot take the shape it gets, or a weight's shape is not the
    /// one the node needs; the message names the ONNX node.</exception>
    public Network Build(Accelerator accelerator, int maxBatch = 64, ulong seed = 0)
    {
        Network network;
        try
        {
            network = Builder.Build(Output, accelerator, maxBatch, seed);
        }
        catch (GraphException e)
        {
            throw new OnnxImportException(Origin(e.Message) + e.Message);
        }

        try
        {
            foreach (var p in network.Parameters())
            {
                Load(p.Name, p.Shape, v => p.Load(v));
            }

            foreach (var s in network.States())
            {
                Load(s.Name, s.Shape, v => s.Load(v));
            }
        }
        catch
        {
            network.Dispose();
            throw;
        }

        return network;
    }

    private void Load(string name, Shape shape, Action<float[]> load)
    {
        var values = Tensors[name];
        if (values.Length != shape.Size)
        {
            var node = name[..name.LastIndexOf('.')];
            throw new OnnxImportException(Origin($"Node '{node}'") +
                $"its tensor '{name}' holds {values.Length} values but the node needs {shape} ({shape.Size}).");
        }

        load(values);
    }

    // "ONNX node 'x' (Op): " for the first of our nodes a message names.
    private string Origin(string message)
    {
        var match = NodeName().Match(message);
        return match.Success && origins.TryGetValue(match.Groups[1].Value, out var o)
            ? $"ONNX node '{o.Node}' ({o.OpType}): " : "";
    }

    [GeneratedRegex("Node '([^']*)'")]
    private static partial Regex NodeName();
}
