using System.CommandLine;
using GpuCnn.Engine;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn summary MODEL</c>: one row per node with output shape, parameters and multiply-adds.</summary>
internal static class SummaryCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model name" };
        model.AcceptOnlyFromAmong([.. ModelZoo.Names]);
        var command = new Command("summary", "Print a model's layers, shapes, parameters and multiply-adds") { model };
        command.SetAction(parse =>
        {
            using var accelerator = new CpuAccelerator(1);
            using var network = ModelZoo.Build(parse.GetValue(model)!, accelerator, maxBatch: 1);
            Console.Write(ModelSummary.Of(network).ToText());
            return 0;
        });
        return command;
    }
}
