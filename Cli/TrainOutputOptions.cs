using System.CommandLine;

namespace GpuCnn.Cli;

/// <summary>The options of <c>train</c> that name files it writes: checkpoints, metrics, curves and logs.</summary>
internal sealed class TrainOutputOptions
{
    public Option<string?> Checkpoint { get; } = new("--checkpoint")
    {
        Description = "Save the training state (parameters, optimizer, progress) here after each epoch " +
            "(safetensors); an interrupted run saves here too",
    };

    public Option<string?> CheckpointBest { get; } = new("--checkpoint-best")
    {
        Description = "Save the training state here whenever the monitored metric is the best so far",
    };

    public Option<string?> MetricsJson { get; } = new("--metrics-json")
    {
        Description = "Write per-epoch metrics as JSON here",
    };

    public Option<string?> Plot { get; } = new("--plot")
    {
        Description = "Draw the loss and accuracy curves into this PNG (training loss per step, smoothed; test " +
            "loss and accuracy per epoch), redrawn after every epoch",
    };

    public Option<string?> LogCsv { get; } = new("--log-csv") { Description = "Write per-epoch metrics as CSV here" };

    public Option<string?> LogStepsCsv { get; } = new("--log-steps-csv")
    {
        Description = "Write every step's training loss as CSV here",
    };

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new[] { Checkpoint, CheckpointBest, MetricsJson, Plot, LogCsv, LogStepsCsv })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The paths given on the command line.</summary>
    public TrainOutputs Bind(ParseResult parse) => new(parse.GetValue(Checkpoint), parse.GetValue(CheckpointBest),
        parse.GetValue(MetricsJson), parse.GetValue(Plot), parse.GetValue(LogCsv), parse.GetValue(LogStepsCsv));
}

/// <summary>The files a training run writes; null where the option was not given.</summary>
internal sealed record TrainOutputs(string? Checkpoint, string? CheckpointBest, string? MetricsJson, string? Plot,
    string? LogCsv, string? LogStepsCsv)
{
    /// <summary>Checks that every given path can be written, as <see cref="OutputPaths.Check"/> does.</summary>
    /// <exception cref="OptionException">One cannot; the message names its option.</exception>
    public void Check() => OutputPaths.Check(("--checkpoint", Checkpoint), ("--checkpoint-best", CheckpointBest),
        ("--metrics-json", MetricsJson), ("--plot", Plot), ("--log-csv", LogCsv), ("--log-steps-csv", LogStepsCsv));
}
