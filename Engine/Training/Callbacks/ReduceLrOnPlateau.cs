using System.Globalization;

namespace GpuCnn.Engine.Training.Callbacks;

/// <summary>
/// PyTorch's <c>ReduceLROnPlateau</c> with a relative threshold: when the monitored metric has not beaten the best
/// by the threshold for more than <see cref="Patience"/> epochs, the rate is multiplied by <see cref="Factor"/>
/// (not below <see cref="MinLearningRate"/>), then <see cref="Cooldown"/> epochs pass before counting again.
/// </summary>
public sealed class ReduceLrOnPlateau : TrainingCallback
{
    private const string BestKey = "lr_plateau.best";
    private const string BadKey = "lr_plateau.bad_epochs";
    private const string CooldownKey = "lr_plateau.cooldown";

    /// <summary>PyTorch's defaults: factor 0.1, patience 10, threshold 1e-4 (relative), no cooldown.</summary>
    public ReduceLrOnPlateau(Metric monitor = Metric.TestLoss, float factor = 0.1f, int patience = 10,
        double threshold = 1e-4, int cooldown = 0, float minLearningRate = 0f, float eps = 1e-8f)
    {
        if (!(factor > 0f && factor < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The factor must lie in (0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        Monitor = monitor;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        Cooldown = cooldown;
        MinLearningRate = minLearningRate;
        Eps = eps;
        Best = monitor.IsMaximised() ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <summary>The metric watched.</summary>
    public Metric Monitor { get; }

    /// <summary>Multiplier of each reduction.</summary>
    public float Factor { get; }

    /// <summary>Epochs without improvement tolerated before reducing.</summary>
    public int Patience { get; }

    /// <summary>Relative margin by which a value must beat the best.</summary>
    public double Threshold { get; }

    /// <summary>Epochs after a reduction during which bad epochs are not counted.</summary>
    public int Cooldown { get; }

    /// <summary>Lower bound of the rate.</summary>
    public float MinLearningRate { get; }

    /// <summary>A reduction smaller than this is skipped.</summary>
    public float Eps { get; }

    /// <summary>The best value so far.</summary>
    public double Best { get; private set; }

    /// <summary>Consecutive epochs without improvement.</summary>
    public int BadEpochs { get; private set; }

    /// <summary>Epochs of cooldown left.</summary>
    public int CooldownLeft { get; private set; }

    /// <summary>Records one epoch's value and returns the rate to use from now on.</summary>
    public float Observe(double value, float learningRate)
    {
        var better = Monitor.IsMaximised() ? value > Best * (1 + Threshold) : value < Best * (1 - Threshold);
        if (better)
        {
            Best = value;
            BadEpochs = 0;
        }
        else
        {
            BadEpochs++;
        }

        if (CooldownLeft > 0)
        {
            CooldownLeft--;
            BadEpochs = 0;
        }

        if (BadEpochs > Patience)
        {
            var reduced = Math.Max(learningRate * Factor, MinLearningRate);
            if (learningRate - reduced > Eps)
            {
                learningRate = reduced;
            }

            CooldownLeft = Cooldown;
            BadEpochs = 0;
        }

        return learningRate;
    }

    /// <inheritdoc />
    public override void OnEpochEnd(FitLoop loop, EpochMetrics metrics)
    {
        var value = metrics.Get(Monitor);
        if (double.IsNaN(value))
        {
            throw new InvalidOperationException(
                $"The plateau schedule watches {Monitor.Name()}, which this run does not measure.");
        }

        loop.Optimizer.LearningRate = Observe(value, loop.Optimizer.LearningRate);
    }

    /// <inheritdoc />
    public override void SaveState(IDictionary<string, string> metadata)
    {
        metadata[BestKey] = Format(Best);
        metadata[BadKey] = BadEpochs.ToString(CultureInfo.InvariantCulture);
        metadata[CooldownKey] = CooldownLeft.ToString(CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public override void LoadState(IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.TryGetValue(BestKey, out var best) && metadata.TryGetValue(BadKey, out var bad) &&
            metadata.TryGetValue(CooldownKey, out var cooldown))
        {
            Best = ParseDouble(best);
            BadEpochs = int.Parse(bad, CultureInfo.InvariantCulture);
            CooldownLeft = int.Parse(cooldown, CultureInfo.InvariantCulture);
        }
    }
}
