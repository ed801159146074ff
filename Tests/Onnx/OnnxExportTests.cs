using GpuCnn.Engine;
using GpuCnn.Onnx;
using GpuCnn.Onnx.Schema;
using GpuCnn.Tests.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace GpuCnn.Tests.Onnx;

/// <summary>
/// Exported networks run in ONNX Runtime and give our outputs (1e-4 of the output's scale) on the same inputs,
/// pass the ONNX checker, keep the parameter names and a symbolic batch, and what ONNX cannot say is refused by name.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => new(ExportCases.Names);

    public static TheoryData<int> Opsets => new(13, 17, 18, 19, 20);

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnnxRuntimeGivesOurOutputs(string name)
    {
        using var acc = Accelerators.Create("cpu");
        using var net = ExportCases.Build(name, acc, maxBatch: 3);
        var bytes = OnnxExporter.ToBytes(net);
        var error = Compare(net, bytes, batch: 3);
        output.WriteLine($"{name}: max |ours - ORT| / max |ours| = {error:E2}");
        Assert.True(error <= 1e-4, $"{name}: ONNX Runtime differs from ours by {error:E2} of the output's scale.");
    }

    [Theory]
    [MemberData(nameof(Opsets))]
    public void EveryOpsetWritesTheSameFunction(int opset)
    {
        using var acc = Accelerators.Create("cpu");
        foreach (var name in ExportCases.Names.Where(n => n.StartsWith("layers-", StringComparison.Ordinal)))
        {
            using var net = ExportCases.Build(name, acc, maxBatch: 2);
            var bytes = OnnxExporter.ToBytes(net, opset);
            var error = Compare(net, bytes, batch: 2);
            Assert.True(error <= 1e-4, $"{name} at opset {opset}: ONNX Runtime differs by {error:E2}.");
            var model = ModelProto.Parser.ParseFrom(bytes);
            Assert.Equal(opset, model.OpsetImport.Single().Version);
            var ops = model.Graph.Node.Select(n => n.OpType).ToHashSet();
            if (name.EndsWith("circular", StringComparison.Ordinal))
            {
                // Pad's wrap mode from opset 19 on; slices before.
                Assert.Equal(opset >= 19, ops.Contains("Pad"));
            }

            if (name == "layers-conv")
            {
                Assert.Equal(opset >= 20, ops.Contains("Gelu"));
                Assert.Equal(opset < 20, ops.Contains("Erf"));
            }
        }
    }

    [Fact]
    public void NamesWeightsAndTheBatchDimensionAreKept()
    {
        using var acc = Accelerators.Create("cpu");
        using var net = ExportCases.Build("small-resnet18-cifar", acc, maxBatch: 4);
        var model = ModelProto.Parser.ParseFrom(OnnxExporter.ToBytes(net));
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var p in net.Parameters().Concat<object>(net.States()))
        {
            var (pname, values) = p switch
            {
                Parameter q => (q.Name, q.ToArray()),
                StateTensor s => (s.Name, s.ToArray()),
                _ => throw new InvalidOperationException(),
            };
            Assert.True(initializers.TryGetValue(pname, out var tensor), $"no initializer named {pname}");
            Assert.Equal(values, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(
                tensor.RawData.Span).ToArray());
        }

        Assert.Equal(OnnxExporter.BatchDimension, model.Graph.Input.Single().Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(OnnxExporter.BatchDimension, model.Graph.Output.Single().Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Contains(model.Graph.Node, n => n.Name == "layer1.0.conv1" && n.OpType == "Conv");
        // Any batch runs, not only the one exported with.
        Assert.True(Compare(net, OnnxExporter.ToBytes(net), batch: 1) <= 1e-4);
    }

    [OnnxCheckerFact]
    public void EveryExportPassesTheOnnxChecker()
    {
        var folder = Directory.CreateTempSubdirectory("gpucnn-onnx-check").FullName;
        try
        {
            using var acc = Accelerators.Create("cpu");
            foreach (var name in ExportCases.Names)
            {
                using var net = ExportCases.Build(name, acc, maxBatch: 1);
                OnnxExporter.Export(net, Path.Combine(folder, $"{name}.onnx"));
                if (name.StartsWith("layers-", StringComparison.Ordinal))
                {
                    OnnxExporter.Export(net, Path.Combine(folder, $"{name}-opset13.onnx"), 13);
                }
            }

            var (code, text) = OnnxChecker.CheckFolder(folder);
            output.WriteLine(text);
            Assert.True(code == 0, text);
            Assert.Equal(ExportCases.Names.Count() + 5, text.Split('\n').Count(l => l.StartsWith("ok ")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void WhatOnnxCannotSayIsRefusedByName()
    {
        using var acc = Accelerators.Create("cpu");
        var g = new GraphBuilder();
        var x = g.Input(new Shape(6, 4, 4));
        using var net = g.Build(g.LocalResponseNorm(g.Relu(x), 4, name: "norm4"), acc, 1);
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.ToBytes(net));
        Assert.Contains("'norm4'", e.Message);
        Assert.Contains("LocalResponseNorm", e.Message);
        Assert.Contains("odd", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxExporter.ToBytes(net, 12));
    }

    internal static double Compare(Network net, byte[] model, int batch)
    {
        var x = ExportCases.Input(net, batch);
        var ours = net.Predict(x, batch);
        var theirs = OnnxRuntimeRunner.Run(model, x, batch, net.InputShape.ToArray());
        return OnnxRuntimeRunner.RelativeError(theirs, ours);
    }
}
