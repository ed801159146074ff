using System.CommandLine;

namespace GpuCnn.Cli.Train;

/// <summary>What <c>train</c> builds and where: <c>--model</c>, <c>--classes</c>, <c>--seed</c> and
/// <c>--device</c>.</summary>
internal sealed class ModelOptions
{
    public Option<string> Model { get; } = CommonOptions.Model(inputs: ModelInputs.Datasets);

    public Option<ulong> Seed { get; } = new("--seed")
    {
        Description = "Seed of initialisation, shuffling and dropout",
        DefaultValueFactory = _ => 0,
    };

    public Option<string> Device { get; } = CommonOptions.Device();

    public Option<int?> Classes { get; } = new Option<int?>("--classes")
    {
        Description = "Outputs of the classifier head (default: the number of --digits, else the dataset's " +
            "classes)",
    }.ClassCount();

    /// <summary>The values given on the command line.</summary>
    public ModelSettings Bind(ParseResult parse) =>
        new(parse.GetValue(Model)!, parse.GetValue(Classes), parse.GetValue(Seed), parse.GetValue(Device)!);
}

/// <summary>The model to build, its head's outputs (null: from <c>--digits</c> or the dataset), the seed and the
/// device.</summary>
internal sealed record ModelSettings(string Name, int? Classes, ulong Seed, string Device);
