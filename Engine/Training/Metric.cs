namespace GpuCnn.Engine.Training;

/// <summary>A per-epoch quantity that callbacks watch (early stopping, the best checkpoint, plateaus).</summary>
public enum Metric
{
    /// <summary>Mean training loss over the epoch's steps.</summary>
    TrainLoss,

    /// <summary>Training accuracy over the epoch's steps.</summary>
    TrainAccuracy,

    /// <summary>Mean loss on the evaluation source.</summary>
    TestLoss,

    /// <summary>Accuracy on the evaluation source.</summary>
    TestAccuracy,

    /// <summary>Mean loss on the validation source (<see cref="FitLoop.Validation"/>).</summary>
    ValidationLoss,

    /// <summary>Accuracy on the validation source.</summary>
    ValidationAccuracy,
}

/// <summary>Names and directions of <see cref="Metric"/> values.</summary>
public static class MetricNames
{
    /// <summary>The snake_case name used in logs and on the command line: <c>test_loss</c>.</summary>
    public static string Name(this Metric metric) => metric switch
    {
        Metric.TrainLoss => "train_loss",
        Metric.TrainAccuracy => "train_accuracy",
        Metric.TestLoss => "test_loss",
        Metric.TestAccuracy => "test_accuracy",
        Metric.ValidationLoss => "val_loss",
        Metric.ValidationAccuracy => "val_accuracy",
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, null),
    };

    /// <summary>True when larger is better (accuracies), false when smaller is (losses).</summary>
    public static bool IsMaximised(this Metric metric) =>
        metric is Metric.TrainAccuracy or Metric.TestAccuracy or Metric.ValidationAccuracy;

    /// <summary>True when the metric needs an evaluation source.</summary>
    public static bool NeedsEvaluation(this Metric metric) => metric is Metric.TestLoss or Metric.TestAccuracy;

    /// <summary>True when the metric needs a validation source (<see cref="FitLoop.Validation"/>).</summary>
    public static bool NeedsValidation(this Metric metric) =>
        metric is Metric.ValidationLoss or Metric.ValidationAccuracy;

    /// <summary>Parses a name as <see cref="Name"/> writes it.</summary>
    public static Metric Parse(string name)
    {
        foreach (var metric in Enum.GetValues<Metric>())
        {
            if (metric.Name() == name)
            {
                return metric;
            }
        }

        throw new ArgumentException($"Unknown metric '{name}'; use one of " +
            $"{string.Join(", ", Enum.GetValues<Metric>().Select(m => m.Name()))}.", nameof(name));
    }
}
