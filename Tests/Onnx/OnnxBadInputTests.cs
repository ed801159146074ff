using Google.Protobuf;
using GpuCnn.Engine;
using GpuCnn.Onnx;
using GpuCnn.Onnx.Schema;
using GpuCnn.Tests.Hostile;
using GpuCnn.Tests.Kernels;
using Xunit;

namespace GpuCnn.Tests.Onnx;

/// <summary>What the importer refuses, each with one error naming the ONNX node, its op type and the problem; and
/// thousands of mutated models that either import or fail that way.</summary>
public sealed class OnnxBadInputTests
{
    [Fact]
    public void AnUnsupportedOpIsNamed()
    {
        var model = Exported();
        model.Graph.Node.Single(n => n.Name == "fc2").OpType = "Einsum";
        var e = Import(model);
        Assert.Contains("ONNX node 'fc2' (Einsum)", e.Message);
        Assert.Contains("not supported", e.Message);
    }

    [Fact]
    public void MalformedProtobufIsRefused()
    {
        var bytes = Exported().ToByteArray();
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Read(bytes[..(bytes.Length / 2)]));
        Assert.Contains("malformed", e.Message);
        Assert.Throws<OnnxImportException>(() => OnnxImporter.Read([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
    }

    [Fact]
    public void InitializerBytesThatDoNotMatchTheShapeAreNamed()
    {
        var model = Exported();
        var weight = model.Graph.Initializer.Single(t => t.Name == "fc1.weight");
        weight.RawData = ByteString.CopyFrom(weight.RawData.Span[..^4]);
        var e = Import(model);
        Assert.Contains("ONNX node 'fc1' (Gemm)", e.Message);
        Assert.Contains("'fc1.weight' holds", e.Message);
        Assert.Contains("needs 96 values", e.Message);
    }

    [Fact]
    public void ACycleIsNamed()
    {
        var model = Exported();
        // conv reads what fc1 computes from it.
        model.Graph.Node.Single(n => n.Name == "conv").Input[0] = "fc1";
        var e = Import(model);
        Assert.Contains("cycle", e.Message);
        Assert.Matches("ONNX node '(conv|gap|flatten|fc1)' \\((Conv|GlobalAveragePool|Flatten|Gemm)\\)", e.Message);
    }

    [Fact]
    public void AShapeOurNodesCannotTakeIsNamed()
    {
        var model = Exported();
        var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim;
        dims[2].DimValue = 2;
        dims[3].DimValue = 2;
        var e = Import(model);
        Assert.Contains("ONNX node 'valid' (Conv)", e.Message);
        Assert.Contains("cannot take input (4, 2, 2)", e.Message);

        // Channels the weights were not made for: the node builds, its weight does not fit.
        model = Exported();
        model.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 5;
        e = Import(model);
        Assert.Contains("ONNX node 'valid' (Conv)", e.Message);
        Assert.Contains("'valid.weight' holds 144 values but the node needs (4, 5, 3, 3)", e.Message);
    }

    [Fact]
    public void ThousandsOfMutatedModelsImportOrFailWithTheImportError()
    {
        byte[][] valid = [Exported().ToByteArray()];
        using var acc = Accelerators.Create("cpu");
        var outcome = Fuzz.Run<OnnxImportException>(valid, [], 3000, length => 64L * length + (4 << 20),
            bytes => () => OnnxImporter.Read(bytes));
        Assert.True(outcome.Loaded >= 30, $"only {outcome.Loaded} mutated models read");
    }

    // A small network's export: a valid conv, global pooling, two dense layers.
    private static ModelProto Exported()
    {
        using var acc = Accelerators.Create("cpu");
        var g = new GraphBuilder();
        var x = g.Input(new Shape(4, 6, 6));
        var h = g.Conv2d(x, 4, 3, 1, GpuCnn.Engine.Nodes.Padding2d.Valid, name: "valid");
        h = g.Flatten(g.GlobalAvgPool2d(g.Relu(g.Conv2d(h, 8, 3, padding: 1, name: "conv"), "relu"), "gap"),
            "flatten");
        h = g.Linear(g.Relu(g.Linear(h, 12, name: "fc1"), "relu1"), 3, name: "fc2");
        using var net = g.Build(h, acc, 1);
        return ModelProto.Parser.ParseFrom(OnnxExporter.ToBytes(net));
    }

    private static OnnxImportException Import(ModelProto model) => Assert.Throws<OnnxImportException>(() =>
    {
        using var acc = Accelerators.Create("cpu");
        using var net = OnnxImporter.Read(model.ToByteArray()).Build(acc, 1);
    });
}
