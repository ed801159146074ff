using System.CommandLine;
using System.CommandLine.Parsing;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary>
/// The models a command accepts, drawn from the zoo (<see cref="ModelZoo.Names"/> and each model's input shape),
/// so that every command lists them in the zoo's order and says why it takes fewer than <c>summary</c>. A name is
/// matched ignoring case (<c>LeNet5</c> is <c>lenet5</c>); any other name is refused with the nearest ones.
/// </summary>
internal static class ModelChoice
{
    /// <summary>The models <paramref name="inputs"/> allows, in the zoo's order.</summary>
    public static IReadOnlyList<string> Accepted(ModelInputs inputs) =>
        [.. ModelZoo.Names.Where(n => inputs switch
        {
            ModelInputs.Mnist => ModelZoo.InputShape(n).Equals(TrainingData.MnistShape),
            ModelInputs.Datasets => TrainingData.Feeds(ModelZoo.InputShape(n)),
            _ => true,
        })];

    /// <summary>The help text of a model option or argument: the accepted names and, where they are fewer than the
    /// zoo's, why.</summary>
    public static string Description(ModelInputs inputs)
    {
        var names = string.Join(", ", Accepted(inputs));
        return inputs switch
        {
            ModelInputs.Mnist => $"Model: {names} (those of MNIST's 1x28x28 input: the images are prepared as " +
                "MNIST digits)",
            ModelInputs.Datasets => $"Model: {names} (those of 1x28x28 and 3x32x32 input, which MNIST, CIFAR-10 " +
                "and image folders feed; the ImageNet-sized models are for summary and bench)",
            _ => $"Model: {names}",
        };
    }

    /// <summary>The zoo's spelling of <paramref name="name"/> when it names a model in any case, else null.
    /// </summary>
    public static string? Canonical(string name) =>
        ModelZoo.Names.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses a model token for <paramref name="inputs"/>: the zoo's spelling of it, or null after adding
    /// a one-line error that names the nearest models, or says why this command does not take a known one.
    /// </summary>
    public static string? Parse(ArgumentResult result, ModelInputs inputs)
    {
        if (result.Tokens.Count == 0)
        {
            return null; // left out: the command's default or its own check applies
        }

        var typed = result.Tokens[0].Value;
        var accepted = Accepted(inputs);
        if (Canonical(typed) is not { } name)
        {
            result.AddError($"unknown model '{typed}'{Suggestions.DidYouMean(typed, accepted)}");
            return null;
        }

        if (!accepted.Contains(name))
        {
            var shape = ModelZoo.InputShape(name);
            result.AddError($"{name} takes {shape[0]}x{shape[1]}x{shape[2]} input; {CommandOf(result)} takes " +
                $"{string.Join(", ", accepted)}");
            return null;
        }

        return name;
    }

    /// <summary>Whether <paramref name="error"/> is one of <see cref="Parse"/>'s, so that its hint can point at the
    /// list of models.</summary>
    public static bool IsModelError(ParseError error) => error.SymbolResult switch
    {
        ArgumentResult { Argument.Name: "model" } => true,
        ArgumentResult { Parent: OptionResult { Option.Name: "--model" } } => true,
        OptionResult { Option.Name: "--model" } => true,
        _ => false,
    };

    private static string CommandOf(SymbolResult result)
    {
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult command)
            {
                return command.Command.Name;
            }
        }

        return "this command";
    }
}
