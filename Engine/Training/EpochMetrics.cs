namespace GpuCnn.Engine.Training;

/// <summary>What one epoch measured. Test values are NaN when the loop has no evaluation source, validation values
/// when it has no <see cref="FitLoop.Validation"/> source.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss,
    double TestAccuracy, double ImagesPerSecond, float LearningRate, double ValidationLoss = double.NaN,
    double ValidationAccuracy = double.NaN)
{
    /// <summary>The value of <paramref name="metric"/>.</summary>
    public double Get(Metric metric) => metric switch
    {
        Metric.TrainLoss => TrainLoss,
        Metric.TrainAccuracy => TrainAccuracy,
        Metric.TestLoss => TestLoss,
        Metric.TestAccuracy => TestAccuracy,
        Metric.ValidationLoss => ValidationLoss,
        Metric.ValidationAccuracy => ValidationAccuracy,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, null),
    };
}
