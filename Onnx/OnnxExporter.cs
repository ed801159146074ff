using System.Reflection;
using Google.Protobuf;
using GpuCnn.Engine;
using GpuCnn.Onnx.Export;
using GpuCnn.Onnx.Schema;

namespace GpuCnn.Onnx;

/// <summary>
/// Writes a built <see cref="Network"/> as an ONNX model: one ONNX node (or a short exact chain of them) per graph
/// node, the parameters and running statistics as initializers under their own names, and a symbolic batch
/// dimension on the input and the output. The network is exported as it runs in evaluation mode (batch norm with its
/// running statistics, dropout off).
/// </summary>
/// <remarks>
/// The wire format is Google.Protobuf with classes generated at build time from <c>Schema/onnx.proto</c>, written
/// here from the ONNX specification's field numbers. OnnxSharp 0.3.2 was considered: it ships its own generated
/// classes for one fixed ONNX version and pins an older Google.Protobuf, and it adds graph-cleaning tools this
/// library does not need, so the schema is kept here, small, with only the messages used.
/// </remarks>
public static class OnnxExporter
{
    /// <summary>The opset written unless another is asked for.</summary>
    public const int DefaultOpset = 17;

    /// <summary>The oldest opset the exporter writes (Softmax over one axis, Pad and Resize with tensor inputs).
    /// </summary>
    public const int MinOpset = 13;

    /// <summary>The newest opset the exporter writes (20 adds Gelu; 19 adds the Pad mode <c>wrap</c>).</summary>
    public const int MaxOpset = 20;

    /// <summary>The name of the symbolic batch dimension of the input and output.</summary>
    public const string BatchDimension = "batch";

    /// <summary>Writes <paramref name="network"/> to <paramref name="path"/>.</summary>
    /// <exception cref="OnnxExportException">A node has no exact ONNX form at <paramref name="opset"/>.</exception>
    public static void Export(Network network, string path, int opset = DefaultOpset)
    {
        var bytes = ToBytes(network, opset);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>The ONNX model of <paramref name="network"/> as bytes.</summary>
    /// <exception cref="OnnxExportException">A node has no exact ONNX form at <paramref name="opset"/>.</exception>
    public static byte[] ToBytes(Network network, int opset = DefaultOpset) => ToModel(network, opset).ToByteArray();

    internal static ModelProto ToModel(Network network, int opset)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (opset is < MinOpset or > MaxOpset)
        {
            throw new ArgumentOutOfRangeException(nameof(opset), opset,
                $"The exporter writes opsets {MinOpset} to {MaxOpset} (default {DefaultOpset}).");
        }

        var graph = new GraphProto { Name = "gpucnn" };
        var writer = new OnnxGraphWriter(graph, opset);
        foreach (var node in network.Nodes)
        {
            NodeExport.Write(writer, node);
        }

        graph.Input.Add(OnnxGraphWriter.Value(network.Input.Name, BatchDimension, network.InputShape.ToArray()));
        graph.Output.Add(OnnxGraphWriter.Value(network.Output.Name, BatchDimension, network.OutputShape.ToArray()));
        var model = new ModelProto
        {
            // IR 8 is what opsets up to 17 were released with; 18 to 20 need IR 9.
            IrVersion = opset <= 17 ? 8 : 9,
            ProducerName = "gpu-cnn",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()
                ?.InformationalVersion ?? "",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }
}

/// <summary>A node that ONNX cannot express exactly at the requested opset; the message names the node and why.
/// </summary>
public sealed class OnnxExportException(string message) : Exception(message);
