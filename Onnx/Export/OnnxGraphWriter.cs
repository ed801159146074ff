using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using GpuCnn.Onnx.Schema;

namespace GpuCnn.Onnx.Export;

/// <summary>Appends nodes, initializers and attributes to one ONNX graph; the exporter's per-node methods write
/// through it so that each reads as the ONNX ops it emits.</summary>
internal sealed class OnnxGraphWriter(GraphProto graph, int opset)
{
    private readonly HashSet<string> initializers = [];

    /// <summary>The opset being written.</summary>
    public int Opset { get; } = opset;

    /// <summary>Adds node <paramref name="name"/> of <paramref name="opType"/>.</summary>
    public void Node(string opType, string name, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
    }

    /// <summary>A float initializer (raw little-endian bytes); returns its name.</summary>
    public string Floats(string name, long[] dims, ReadOnlySpan<float> data)
    {
        if (initializers.Add(name))
        {
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            tensor.Dims.AddRange(dims);
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data));
            graph.Initializer.Add(tensor);
        }

        return name;
    }

    /// <summary>A float scalar initializer (rank 0).</summary>
    public string Scalar(string name, float value) => Floats(name, [], [value]);

    /// <summary>A 1-D int64 initializer (pads, axes, starts).</summary>
    public string Int64s(string name, params long[] values)
    {
        if (initializers.Add(name))
        {
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            tensor.Dims.Add(values.Length);
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
            graph.Initializer.Add(tensor);
        }

        return name;
    }

    /// <summary>An int attribute.</summary>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A string attribute.</summary>
    public static AttributeProto Text(string name, string value) => new()
    {
        Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFrom(value, Encoding.UTF8),
    };

    /// <summary>An ints attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>A float tensor value with a symbolic batch dimension first.</summary>
    public static ValueInfoProto Value(string name, string batch, IEnumerable<int> perSample)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (var d in perSample)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor
                {
                    ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape,
                },
            },
        };
    }
}
