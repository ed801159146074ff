using System.Runtime.InteropServices;
using System.Text;
using GpuCnn.Engine;
using GpuCnn.Onnx.Schema;

namespace GpuCnn.Onnx.Import;

/// <summary>A value of the ONNX graph as the importer sees it: the output of one of our nodes (batch first), or a
/// constant (an initializer or a Constant node's tensor).</summary>
internal sealed record Operand(Node? Node, OnnxTensor? Constant);

/// <summary>A decoded constant tensor: floats, or integers for shapes, pads and axes.</summary>
internal sealed record OnnxTensor(string Name, long[] Dims, float[]? Floats, long[]? Longs)
{
    public long Count => Dims.Aggregate(1L, (a, d) => a * d);
}

/// <summary>
/// Turns an ONNX graph into our nodes. Values are resolved on demand from the graph's output backwards, so that
/// only what the output needs is built, a cycle is found where it closes, and an op can look at the ONNX nodes that
/// feed it (a MatMul followed by a bias Add becomes one Linear node).
/// </summary>
internal sealed class OnnxGraphReader
{
    private readonly ModelProto model;
    private readonly GraphProto graph;
    private readonly Dictionary<string, TensorProto> initializers = [];
    private readonly Dictionary<string, NodeProto> producers = [];
    private readonly Dictionary<NodeProto, int> indices = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, Operand> values = [];
    private readonly HashSet<NodeProto> visiting = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, float[]> tensors = [];
    private readonly Dictionary<string, (string, string)> origins = [];
    private readonly HashSet<string> names = [];

    /// <summary>The longest chain of nodes read (DenseNet-201 is under 1,000 deep); the reader recurses along it.
    /// </summary>
    public const int MaxDepth = 20_000;

    public OnnxGraphReader(ModelProto model)
    {
        this.model = model;
        graph = model.Graph ?? throw new OnnxImportException("not an ONNX model: it has no graph.");
    }

    /// <summary>The opset of the default domain.</summary>
    public int Opset { get; private set; }

    /// <summary>Where the nodes go.</summary>
    public GraphBuilder Builder { get; } = new();

    public OnnxGraph Read()
    {
        var imports = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        Opset = imports.Count == 1 ? (int)Math.Min(imports[0].Version, int.MaxValue) : 0;
        if (Opset is < OnnxImporter.MinOpset or > OnnxImporter.MaxOpset)
        {
            throw new OnnxImportException($"the model's opset is {(Opset == 0 ? "missing" : Opset)}; opsets " +
                $"{OnnxImporter.MinOpset} to {OnnxImporter.MaxOpset} can be imported.");
        }

        foreach (var t in graph.Initializer)
        {
            initializers[t.Name] = t;
        }

        for (var i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            indices[node] = i;
            foreach (var produced in node.Output.Where(o => o.Length > 0))
            {
                if (!producers.TryAdd(produced, node) || initializers.ContainsKey(produced))
                {
                    throw Error(node, $"its output '{produced}' is also produced by another node or initializer.");
                }
            }
        }

        var input = InputNode();
        if (graph.Output.Count != 1)
        {
            throw new OnnxImportException($"the graph has {graph.Output.Count} outputs; one can be imported.");
        }

        var output = Resolve(graph.Output[0].Name, null).Node ?? throw new OnnxImportException(
            $"the graph's output '{graph.Output[0].Name}' is a constant.");
        return new OnnxGraph(Builder, input, output, tensors, origins, Opset);
    }

    private Node InputNode()
    {
        var inputs = graph.Input.Where(v => !initializers.ContainsKey(v.Name)).ToList();
        if (inputs.Count != 1)
        {
            throw new OnnxImportException($"the graph has {inputs.Count} inputs besides its initializers " +
                $"({string.Join(", ", inputs.Select(v => v.Name))}); one can be imported.");
        }

        var value = inputs[0];
        var type = value.Type?.TensorType;
        var dims = type?.Shape?.Dim.ToList() ?? [];
        if (type is null || type.ElemType != (int)TensorProto.Types.DataType.Float || dims.Count is not (2 or 4) ||
            dims.Skip(1).Any(d => d.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ||
                d.DimValue is < 1 or > int.MaxValue))
        {
            throw new OnnxImportException($"the graph input '{value.Name}' must be a float tensor (batch, C, H, W) or " +
                "(batch, F) with every dimension but the batch known.");
        }

        var shape = new Shape([.. dims.Skip(1).Select(d => (int)d.DimValue)]);
        var node = Builder.Input(shape, name: Unique(value.Name, "input"));
        values[value.Name] = new Operand(node, null);
        return node;
    }

    /// <summary>The value named <paramref name="name"/>, converting the ONNX nodes it depends on first.</summary>
    public Operand Resolve(string name, NodeProto? consumer)
    {
        if (values.TryGetValue(name, out var known))
        {
            return known;
        }

        if (initializers.TryGetValue(name, out var initializer))
        {
            return values[name] = new Operand(null, Decode(initializer, consumer));
        }

        if (!producers.TryGetValue(name, out var producer))
        {
            var what = consumer is null ? $"the graph output '{name}'" : $"its input '{name}'";
            throw consumer is null
                ? new OnnxImportException($"{what} is produced by no node, initializer or graph input.")
                : Error(consumer, $"{what} is produced by no node, initializer or graph input.");
        }

        if (visiting.Count >= MaxDepth)
        {
            throw Error(producer, $"the graph is more than {MaxDepth} nodes deep; the importer stops there.");
        }

        if (!visiting.Add(producer))
        {
            throw Error(producer, "the graph has a cycle through this node (it depends on its own output).");
        }

        var result = OpImport.Convert(this, producer);
        visiting.Remove(producer);
        values[producer.Output[0]] = result;
        return values[name] = name == producer.Output[0] ? result
            : throw Error(producer, $"its output '{name}' (not the first) is not supported.");
    }

    /// <summary>The ONNX node producing <paramref name="value"/>, if any (for ops that fold their producers).</summary>
    public NodeProto? Producer(string value) => producers.GetValueOrDefault(value);

    /// <summary>Input <paramref name="i"/> of <paramref name="n"/>, which must be a computed tensor.</summary>
    public Node NodeInput(NodeProto n, int i) => Input(n, i).Node ??
        throw Error(n, $"its input {i} ('{n.Input[i]}') is a constant; a computed tensor is needed there.");

    /// <summary>Input <paramref name="i"/> of <paramref name="n"/>, which must be a constant; null when absent.
    /// </summary>
    public OnnxTensor? ConstInput(NodeProto n, int i)
    {
        if (i >= n.Input.Count || n.Input[i].Length == 0)
        {
            return null;
        }

        return Input(n, i).Constant ?? throw Error(n,
            $"its input {i} ('{n.Input[i]}') is computed; only a constant (an initializer) is supported there.");
    }

    private Operand Input(NodeProto n, int i) => i < n.Input.Count && n.Input[i].Length > 0
        ? Resolve(n.Input[i], n)
        : throw Error(n, $"it has no input {i}.");

    /// <summary>A unique node name: the weights' stem when they are named <c>x.weight</c>, else the ONNX name.
    /// </summary>
    public string NameFor(NodeProto n, OnnxTensor? weight)
    {
        var stem = weight?.Name is { } w && w.EndsWith(".weight", StringComparison.Ordinal) ? w[..^7] : null;
        var name = Unique(stem ?? (n.Name.Length > 0 ? n.Name : $"{n.OpType}_{indices[n]}"), n.OpType);
        origins[name] = (n.Name.Length > 0 ? n.Name : $"#{indices[n]}", n.OpType);
        return name;
    }

    /// <summary>Records the starting value of parameter or state <paramref name="name"/>.</summary>
    public void Tensor(string name, float[] data) => tensors[name] = data;

    /// <summary>The error about node <paramref name="n"/>.</summary>
    public OnnxImportException Error(NodeProto n, string problem) => new(
        $"ONNX node '{(n.Name.Length > 0 ? n.Name : $"#{indices.GetValueOrDefault(n)}")}' ({n.OpType}): {problem}");

    private string Unique(string name, string fallback)
    {
        name = name.Length > 0 ? name : fallback;
        var candidate = name;
        for (var k = 2; !names.Add(candidate); k++)
        {
            candidate = $"{name}_{k}";
        }

        return candidate;
    }

    private OnnxTensor Decode(TensorProto t, NodeProto? consumer)
    {
        try
        {
            return TensorDecoder.Decode(t);
        }
        catch (OnnxImportException e) when (consumer is not null)
        {
            throw Error(consumer, e.Message);
        }
    }

    /// <summary>Decodes a Constant node's tensor.</summary>
    public OnnxTensor ConstantValue(NodeProto n)
    {
        var attribute = n.Attribute.FirstOrDefault() ?? throw Error(n, "it has no value attribute.");
        try
        {
            return attribute.Name switch
            {
                "value" when attribute.T is not null => TensorDecoder.Decode(attribute.T, n.Output[0]),
                "value_float" => new OnnxTensor(n.Output[0], [], [attribute.F], null),
                "value_floats" => new OnnxTensor(n.Output[0], [attribute.Floats.Count], [.. attribute.Floats], null),
                "value_int" => new OnnxTensor(n.Output[0], [], null, [attribute.I]),
                "value_ints" => new OnnxTensor(n.Output[0], [attribute.Ints.Count], null, [.. attribute.Ints]),
                _ => throw new OnnxImportException($"its attribute '{attribute.Name}' is not a supported value."),
            };
        }
        catch (OnnxImportException e)
        {
            throw Error(n, e.Message);
        }
    }
}

/// <summary>Float and integer tensors from their raw bytes or typed fields, checked against their shape.</summary>
internal static class TensorDecoder
{
    public static OnnxTensor Decode(TensorProto t, string? name = null)
    {
        name ??= t.Name;
        if (t.DataLocation != 0)
        {
            throw new OnnxImportException($"tensor '{name}' keeps its data in an external file, which is not read.");
        }

        long count = 1;
        foreach (var d in t.Dims)
        {
            count = d >= 0 && d <= int.MaxValue && count * d <= int.MaxValue
                ? count * d
                : throw new OnnxImportException($"tensor '{name}' has an impossible shape ({Dims(t)}).");
        }

        var type = (TensorProto.Types.DataType)t.DataType;
        var (width, typed) = type switch
        {
            TensorProto.Types.DataType.Float => (4, t.FloatData.Count),
            TensorProto.Types.DataType.Int64 => (8, t.Int64Data.Count),
            TensorProto.Types.DataType.Int32 => (4, t.Int32Data.Count),
            _ => throw new OnnxImportException($"tensor '{name}' is of type {type}; float, int64 and int32 are read."),
        };
        var raw = t.RawData.Span;
        if (raw.Length > 0 ? raw.Length != count * width : typed != count)
        {
            var held = raw.Length > 0 ? $"{raw.Length} bytes" : $"{typed} values";
            throw new OnnxImportException($"tensor '{name}' holds {held} but its shape ({Dims(t)}) of {type} " +
                $"needs {count} values{(raw.Length > 0 ? $" ({count * width} bytes)" : "")}.");
        }

        long[] dims = [.. t.Dims];
        return type switch
        {
            TensorProto.Types.DataType.Float => new OnnxTensor(name, dims,
                raw.Length > 0 ? MemoryMarshal.Cast<byte, float>(raw).ToArray() : [.. t.FloatData], null),
            TensorProto.Types.DataType.Int64 => new OnnxTensor(name, dims, null,
                raw.Length > 0 ? MemoryMarshal.Cast<byte, long>(raw).ToArray() : [.. t.Int64Data]),
            _ => new OnnxTensor(name, dims, null, raw.Length > 0
                ? Array.ConvertAll(MemoryMarshal.Cast<byte, int>(raw).ToArray(), v => (long)v)
                : [.. t.Int32Data.Select(v => (long)v)]),
        };
    }

    private static string Dims(TensorProto t) => string.Join(", ", t.Dims);

    /// <summary>A string attribute's text.</summary>
    public static string Text(AttributeProto a) => Encoding.UTF8.GetString(a.S.Span);
}
