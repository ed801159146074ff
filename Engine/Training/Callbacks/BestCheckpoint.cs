namespace GpuCnn.Engine.Training.Callbacks;

/// <summary>
/// Saves the whole training state whenever the monitored metric is the best so far (lowest loss, highest
/// accuracy). The file can be resumed from like any other; its "epoch" says which epoch was best.
/// </summary>
public sealed class BestCheckpoint(string path, Metric monitor = Metric.TestLoss) : CheckpointCallback
{
    private const string BestKey = "best_checkpoint.best";

    /// <summary>The file written.</summary>
    public string Path { get; } = path;

    /// <summary>The metric compared.</summary>
    public Metric Monitor { get; } = monitor;

    /// <summary>The best value seen so far; NaN before the first epoch.</summary>
    public double Best { get; private set; } = double.NaN;

    /// <inheritdoc />
    public override void OnEpochEnd(FitLoop loop, EpochMetrics metrics)
    {
        var value = metrics.Get(Monitor);
        if (double.IsNaN(value))
        {
            throw new InvalidOperationException(
                $"The best checkpoint watches {Monitor.Name()}, which this run does not measure.");
        }

        if (double.IsNaN(Best) || (Monitor.IsMaximised() ? value > Best : value < Best))
        {
            Best = value;
            loop.SaveCheckpoint(Path);
        }
    }

    /// <inheritdoc />
    public override void SaveState(IDictionary<string, string> metadata) => metadata[BestKey] = Format(Best);

    /// <inheritdoc />
    public override void LoadState(IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.TryGetValue(BestKey, out var best))
        {
            Best = ParseDouble(best);
        }
    }
}
