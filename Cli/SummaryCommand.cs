using System.CommandLine;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary><c>gpucnn summary MODEL</c>: one row per node with output shape, parameters, multiply-adds and receptive
/// field. Shapes are inferred without building the network, so nothing is allocated and VGG-19 prints at once.
/// </summary>
internal static class SummaryCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = $"Model: {string.Join(", ", ModelZoo.Names)}" };
        model.AcceptOnlyFromAmong([.. ModelZoo.Names]);
        var classes = new Option<int?>("--classes")
        {
            Description = "Outputs of the classifier head (default: the model's own, 10 or 1000)",
        }.ClassCount();
        var batch = new Option<int>("--batch")
        {
            Description = "Batch size for the training-step memory in the totals",
            DefaultValueFactory = _ => 64,
        }.AtLeast(1);
        var command = new Command("summary", "Print a model's layers, shapes, parameters and multiply-adds")
        {
            model, classes, batch,
        };
        command.SetAction(parse =>
        {
            Console.Write(ModelZoo.Summary(parse.GetValue(model)!, parse.GetValue(classes)).ToText(parse.GetValue(batch)));
            return 0;
        });
        return command;
    }
}
