using System.CommandLine;
using System.Globalization;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Onnx;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn import</c>: an ONNX model's graph built from our nodes, its initializers saved as a
/// safetensors checkpoint under the names the graph gives them (PyTorch's state_dict names for its exports).
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "The ONNX file to read" };
        var output = new Option<string>("--out") { Description = "The safetensors checkpoint to write", Required = true };
        var command = new Command("import",
            "Build an ONNX model (opsets 11 to 20) from gpu-cnn's nodes and save its weights as a checkpoint")
        {
            model, output,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(output)!));
        return command;
    }

    private static int Run(string path, string output)
    {
        OnnxGraph graph;
        try
        {
            graph = OnnxImporter.Read(path);
        }
        catch (OnnxImportException e)
        {
            Console.Error.WriteLine($"gpucnn import: {e.Message}");
            return 2;
        }

        using var accelerator = Devices.Open("cpu");
        try
        {
            using var network = graph.Build(accelerator, maxBatch: 1);
            Checkpoint.Save(output, network);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"read {path} (opset {graph.Opset}): {network.Nodes.Count - 1} nodes, {network.ParameterCount:N0} " +
                $"parameters, input (batch, {string.Join(", ", network.InputShape.ToArray())}), output (batch, " +
                $"{string.Join(", ", network.OutputShape.ToArray())}); wrote {output}"));
            foreach (var node in network.Nodes.Skip(1))
            {
                Console.WriteLine($"  {node}");
            }
        }
        catch (OnnxImportException e)
        {
            Console.Error.WriteLine($"gpucnn import: {e.Message}");
            return 2;
        }

        return 0;
    }
}
