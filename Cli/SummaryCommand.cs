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
        // The model as an argument, or with --model as every other command takes it.
        var model = new Argument<string?>("model")
        {
            Description = ModelChoice.Description(ModelInputs.Any),
            Arity = ArgumentArity.ZeroOrOne,
            CustomParser = result => ModelChoice.Parse(result, ModelInputs.Any),
        };
        var modelOption = CommonOptions.Model(inputs: ModelInputs.Any);
        modelOption.DefaultValueFactory = null;
        modelOption.Description = "The model, as the argument names it";
        var classes = new Option<int?>("--classes")
        {
            Description = "Outputs of the classifier head (default: the model's own, 10 or 1000)",
        }.ClassCount();
        var batch = CommonOptions.BatchSize("Batch size for the training-step memory in the totals");
        var command = new Command("summary", "Print a model's layers, shapes, parameters and multiply-adds")
        {
            model, modelOption, classes, batch,
        };
        command.Validators.Add(result =>
        {
            var given = (result.GetResult(model)?.Tokens.Count ?? 0) +
                (result.GetResult(modelOption) is { Implicit: false } ? 1 : 0);
            if (given != 1)
            {
                result.AddError(given == 0
                    ? "summary needs a model: gpucnn summary MODEL (or --model MODEL)"
                    : "summary takes one model: as the argument or with --model, not both");
            }
        });
        command.SetAction(parse =>
        {
            var name = parse.GetValue(model) ?? parse.GetValue(modelOption)!;
            Console.Write(ModelZoo.Summary(name, parse.GetValue(classes)).ToText(parse.GetValue(batch)));
            return 0;
        });
        return command;
    }
}
