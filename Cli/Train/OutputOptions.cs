using System.CommandLine;
using GpuCnn.Engine.Training;
using GpuCnn.Engine.Training.Callbacks;

namespace GpuCnn.Cli.Train;

/// <summary>The files <c>train</c> writes: <c>--checkpoint</c>, <c>--checkpoint-best</c>, <c>--metrics-json</c>,
/// <c>--plot</c>, <c>--log-csv</c> and <c>--log-steps-csv</c>.</summary>
internal sealed class OutputOptions
{
    public Option<string?> Checkpoint { get; } = new("--checkpoint")
    {
        HelpName = "PATH",
        Description = "Save the training state (parameters, optimizer, progress) here after each epoch " +
            "(safetensors); an interrupted run saves here too",
    };

    public Option<string?> CheckpointBest { get; } = new("--checkpoint-best")
    {
        HelpName = "PATH",
        Description = "Save the training state here whenever the monitored metric is the best so far",
    };

    public Option<string?> MetricsJson { get; } = new("--metrics-json")
    {
        HelpName = "PATH",
        Description = "Write per-epoch metrics as JSON here",
    };

    public Option<string?> Plot { get; } = new("--plot")
    {
        HelpName = "PATH",
        Description = "Draw the loss and accuracy curves into this PNG (training loss per step, smoothed; test " +
            "loss and accuracy per epoch), redrawn after every epoch",
    };

    public Option<string?> LogCsv { get; } = new("--log-csv")
    {
        HelpName = "PATH",
        Description = "Write per-epoch metrics as CSV here",
    };

    public Option<string?> LogStepsCsv { get; } = new("--log-steps-csv")
    {
        HelpName = "PATH",
        Description = "Write every step's training loss as CSV here",
    };

    /// <summary>The paths given on the command line.</summary>
    public OutputSettings Bind(ParseResult parse) => new(parse.GetValue(Checkpoint), parse.GetValue(CheckpointBest),
        parse.GetValue(MetricsJson), parse.GetValue(Plot), parse.GetValue(LogCsv), parse.GetValue(LogStepsCsv));
}

/// <summary>The files a training run writes; null where the option was not given.</summary>
internal sealed record OutputSettings(string? Checkpoint, string? CheckpointBest, string? MetricsJson, string? Plot,
    string? LogCsv, string? LogStepsCsv)
{
    /// <summary>Where an interrupted run saves its state.</summary>
    public string InterruptCheckpoint => Checkpoint ?? "interrupted.safetensors";

    /// <summary>Checks that every given path can be written, as <see cref="OutputPaths.Check"/> does; a path that
    /// cannot be written would otherwise fail only when the first epoch ends.</summary>
    /// <exception cref="OptionException">One cannot; the message names its option.</exception>
    public void Check() => OutputPaths.Check(("--checkpoint", Checkpoint), ("--checkpoint-best", CheckpointBest),
        ("--metrics-json", MetricsJson), ("--plot", Plot), ("--log-csv", LogCsv), ("--log-steps-csv", LogStepsCsv));

    /// <summary>The CSV log of epochs (and of steps with <c>--log-steps-csv</c>), or null when neither is asked
    /// for; steps alone put the epochs beside them.</summary>
    public TrainingCallback? CsvLog() => (LogCsv, LogStepsCsv) switch
    {
        ({ } csv, var steps) => new CsvLog(csv, steps),
        (null, { } steps) => new CsvLog(Path.ChangeExtension(steps, ".epochs.csv"), steps),
        _ => null,
    };

    /// <summary>The callbacks that save the training state after each epoch and at the best epoch by
    /// <paramref name="monitor"/>, in that order.</summary>
    public IEnumerable<TrainingCallback> Checkpoints(Metric monitor)
    {
        if (Checkpoint is { } path)
        {
            yield return new EpochCheckpoint(path);
        }

        if (CheckpointBest is { } best)
        {
            yield return new BestCheckpoint(best, monitor);
        }
    }
}
