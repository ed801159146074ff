using System.CommandLine;
using GpuCnn.Engine.Training;
using GpuCnn.Engine.Training.Callbacks;

namespace GpuCnn.Cli.Train;

/// <summary>When <c>train</c> stops early and what it watches: <c>--early-stopping</c>, <c>--min-delta</c> and
/// <c>--monitor</c> (which <c>--checkpoint-best</c> and the plateau schedule watch too).</summary>
internal sealed class StoppingOptions
{
    public StoppingOptions() => Monitor.AcceptOnlyFromAmong([.. Enum.GetValues<Metric>().Select(m => m.Name())]);

    public Option<int?> Patience { get; } = new Option<int?>("--early-stopping")
    {
        Description = "Stop after this many epochs without improvement of the monitored metric",
    }.AtLeast(1);

    public Option<double> MinDelta { get; } = new Option<double>("--min-delta")
    {
        Description = "The smallest change that counts as an improvement for early stopping",
        DefaultValueFactory = _ => 0,
    }.Must(v => v >= 0 && double.IsFinite(v), "at least 0 and finite");

    public Option<string?> Monitor { get; } = new("--monitor")
    {
        HelpName = "METRIC",
        Description = "Metric watched by --checkpoint-best, --early-stopping and the plateau schedule: " +
            string.Join(", ", Enum.GetValues<Metric>().Select(m => m.Name())) +
            " (val_loss and val_accuracy need --validation-split; default val_loss with it, test_loss without)",
    };

    /// <summary>The values given on the command line; the monitored metric defaults to the validation loss when
    /// images are held out (<paramref name="validating"/>), as selecting on the test set would tune to it.</summary>
    public StoppingSettings Bind(ParseResult parse, bool validating) => new(parse.GetValue(Patience),
        parse.GetValue(MinDelta),
        MetricNames.Parse(parse.GetValue(Monitor) ?? (validating ? "val_loss" : "test_loss")));
}

/// <summary>Early stopping's patience (null: never stop early) and threshold, and the monitored metric.</summary>
internal sealed record StoppingSettings(int? Patience, double MinDelta, Metric Monitor)
{
    /// <summary>The early-stopping callback, or null when not asked for.</summary>
    public TrainingCallback? Callback() =>
        Patience is { } patience ? new EarlyStopping(patience, MinDelta, Monitor) : null;

    /// <summary>Whether the run measures the monitored metric: the validation metrics need a validation split;
    /// prints why not.</summary>
    public bool Measurable(double? validationSplit)
    {
        if (Monitor.NeedsValidation() && validationSplit is null)
        {
            Console.Error.WriteLine($"--monitor {Monitor.Name()} is measured on images held out of training; add " +
                "--validation-split F (e.g. 0.1) or monitor test_loss.");
            return false;
        }

        return true;
    }
}
