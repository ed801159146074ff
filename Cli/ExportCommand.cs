using System.CommandLine;
using System.Globalization;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Models;
using GpuCnn.Onnx;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn export</c>: a zoo model with a checkpoint's weights as an ONNX file, for ONNX Runtime and the
/// other runtimes. The network is written as it runs in evaluation mode, with a symbolic batch dimension.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to export", Required = true };
        var model = CommonOptions.Model(inputs: ModelInputs.Any);
        model.DefaultValueFactory = null;
        model.Description += " (default: the checkpoint's)";
        var classes = new Option<int?>("--classes")
        {
            Description = "Outputs of the classifier head (default: the checkpoint's, else the model's own)",
        }.ClassCount();
        var output = new Option<string>("--out") { Description = "The ONNX file to write", Required = true };
        var opset = new Option<int>("--opset")
        {
            Description = $"ONNX opset, {OnnxExporter.MinOpset} to {OnnxExporter.MaxOpset} (19 adds Pad's wrap " +
                "mode, 20 the Gelu op)",
            DefaultValueFactory = _ => OnnxExporter.DefaultOpset,
        }.Must(v => v is >= OnnxExporter.MinOpset and <= OnnxExporter.MaxOpset,
            $"be from {OnnxExporter.MinOpset} to {OnnxExporter.MaxOpset}");
        var command = new Command("export", "Write a model and its checkpoint's weights as an ONNX file")
        {
            checkpoint, model, classes, output, opset,
        };
        command.SetAction(parse => Run(parse.GetValue(checkpoint)!, parse.GetValue(model), parse.GetValue(classes),
            parse.GetValue(output)!, parse.GetValue(opset)));
        return command;
    }

    // The model and head size are the checkpoint's, as for eval and predict; --model only checks (or names the model
    // of a file that does not say).
    private static int Run(string checkpoint, string? given, int? classes, string output, int opset)
    {
        if (CheckpointModel.Read(checkpoint, given) is not { } saved)
        {
            return 2;
        }

        var (model, count) = (saved.Model, classes ?? saved.Classes);
        using var accelerator = Devices.Open("cpu");
        using var network = ModelZoo.Build(model, accelerator, maxBatch: 1, classes: count);
        Checkpoint.Load(checkpoint, network);
        network.Eval();
        try
        {
            OnnxExporter.Export(network, output, opset);
        }
        catch (OnnxExportException e)
        {
            Console.Error.WriteLine($"gpucnn export: {e.Message}");
            return 2;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {output}: {model}, {network.Nodes.Count - 1} nodes, {network.ParameterCount:N0} parameters, " +
            $"opset {opset}, input (batch, {string.Join(", ", network.InputShape.ToArray())})"));
        return 0;
    }
}
