using System.Runtime.ExceptionServices;
using Google.Protobuf;
using GpuCnn.Engine;
using GpuCnn.Kernels;
using GpuCnn.Onnx.Import;
using GpuCnn.Onnx.Schema;

namespace GpuCnn.Onnx;

/// <summary>
/// Builds a graph of Engine nodes from an ONNX model (opsets <see cref="MinOpset"/> to <see cref="MaxOpset"/>) and
/// loads its initializers as the parameters and running statistics. A node with weights is named after them
/// (<c>layer1.0.conv1.weight</c> makes node <c>layer1.0.conv1</c>), so a model exported by PyTorch keeps its
/// state_dict names; the network trains like any other.
/// </summary>
public static class OnnxImporter
{
    /// <summary>The oldest opset read.</summary>
    public const int MinOpset = 11;

    /// <summary>The newest opset read (20 being what the exporter writes at most).</summary>
    public const int MaxOpset = 20;

    /// <summary>Reads the ONNX file at <paramref name="path"/>.</summary>
    /// <exception cref="OnnxImportException">The file is not a model this engine can take; the message names the
    /// ONNX node, its op type and the problem.</exception>
    public static OnnxGraph Read(string path)
    {
        try
        {
            return Read(File.ReadAllBytes(path));
        }
        catch (OnnxImportException e)
        {
            throw new OnnxImportException($"{path}: {e.Message}");
        }
    }

    /// <summary>Reads an ONNX model from <paramref name="bytes"/>.</summary>
    /// <exception cref="OnnxImportException">The bytes are not a model this engine can take.</exception>
    public static OnnxGraph Read(byte[] bytes)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"not an ONNX model: the protobuf is malformed ({e.Message}).");
        }

        // Values are resolved recursively along the graph's longest chain, at most one level per node: a large graph
        // is read on a thread with a stack for the deepest graph the reader accepts.
        if (model.Graph is null || model.Graph.Node.Count < 1000)
        {
            return new OnnxGraphReader(model).Read();
        }

        OnnxGraph? graph = null;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                graph = new OnnxGraphReader(model).Read();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }, 256 << 20);
        thread.Start();
        thread.Join();
        failure?.Throw();
        return graph!;
    }

    /// <summary>Reads <paramref name="path"/> and builds it on <paramref name="accelerator"/> with its weights.
    /// </summary>
    public static Network Import(string path, Accelerator accelerator, int maxBatch = 64, ulong seed = 0) =>
        Read(path).Build(accelerator, maxBatch, seed);
}

/// <summary>An ONNX model that cannot be imported: the message names the node, its op type and what is wrong.
/// </summary>
public sealed class OnnxImportException(string message) : Exception(message);
