using System.Globalization;

namespace GpuCnn.Engine.Training.Callbacks;

/// <summary>
/// Stops training when the monitored metric has not improved for <see cref="Patience"/> epochs, with Keras'
/// rule: an epoch improves when it beats the best by more than <see cref="MinDelta"/>.
/// </summary>
public sealed class EarlyStopping : TrainingCallback
{
    private const string BestKey = "early_stopping.best";
    private const string WaitKey = "early_stopping.wait";

    /// <summary>Stops after <paramref name="patience"/> epochs without an improvement of more than
    /// <paramref name="minDelta"/> in <paramref name="monitor"/>.</summary>
    public EarlyStopping(int patience, double minDelta = 0, Metric monitor = Metric.TestLoss)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(patience);
        if (!(minDelta >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "The minimum change must be >= 0.");
        }

        Patience = patience;
        MinDelta = minDelta;
        Monitor = monitor;
    }

    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; }

    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>The metric watched.</summary>
    public Metric Monitor { get; }

    /// <summary>The best value so far (NaN before the first).</summary>
    public double Best { get; private set; } = double.NaN;

    /// <summary>Epochs since the last improvement.</summary>
    public int Wait { get; private set; }

    /// <summary>Records one epoch's value and returns true when training should stop.</summary>
    public bool Observe(double value)
    {
        var improved = double.IsNaN(Best) ||
            (Monitor.IsMaximised() ? value - MinDelta > Best : value + MinDelta < Best);
        if (improved)
        {
            Best = value;
            Wait = 0;
            return false;
        }

        Wait++;
        return Wait >= Patience;
    }

    /// <inheritdoc />
    public override void OnEpochEnd(FitLoop loop, EpochMetrics metrics)
    {
        var value = metrics.Get(Monitor);
        if (double.IsNaN(value))
        {
            throw new InvalidOperationException(
                $"Early stopping watches {Monitor.Name()}, which this run does not measure.");
        }

        if (Observe(value))
        {
            loop.RequestStop(string.Create(CultureInfo.InvariantCulture,
                $"Stopped early after epoch {metrics.Epoch}: {Monitor.Name()} has not improved on {Best:G6} " +
                $"for {Wait} epochs."));
        }
    }

    /// <inheritdoc />
    public override void SaveState(IDictionary<string, string> metadata)
    {
        metadata[BestKey] = Format(Best);
        metadata[WaitKey] = Wait.ToString(CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public override void LoadState(IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.TryGetValue(BestKey, out var best) && metadata.TryGetValue(WaitKey, out var wait))
        {
            Best = ParseDouble(best);
            Wait = int.Parse(wait, CultureInfo.InvariantCulture);
        }
    }
}
