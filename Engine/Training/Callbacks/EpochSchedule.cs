namespace GpuCnn.Engine.Training.Callbacks;

/// <summary>
/// A learning rate that is a function of the epochs finished and the initial rate, set at the end of each epoch
/// as PyTorch's <c>scheduler.step()</c> after an epoch does. Being a closed form, it resumes exactly from the
/// epoch count and the initial rate alone.
/// </summary>
public abstract class EpochSchedule : TrainingCallback
{
    private const string BaseKey = "lr_schedule.base_lr";

    /// <summary>The optimizer's learning rate when training began.</summary>
    public float? BaseLearningRate { get; private set; }

    /// <summary>The rate for the epoch after <paramref name="completedEpochs"/> epochs.</summary>
    public abstract float LearningRateAt(int completedEpochs, float baseLearningRate);

    /// <inheritdoc />
    public override void OnFitBegin(FitLoop loop) => BaseLearningRate ??= loop.Optimizer.LearningRate;

    /// <inheritdoc />
    public override void OnEpochEnd(FitLoop loop, EpochMetrics metrics) =>
        loop.Optimizer.LearningRate = LearningRateAt(loop.CompletedEpochs, BaseLearningRate!.Value);

    /// <inheritdoc />
    public override void SaveState(IDictionary<string, string> metadata)
    {
        if (BaseLearningRate is { } lr)
        {
            metadata[BaseKey] = Format(lr);
        }
    }

    /// <inheritdoc />
    public override void LoadState(IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.TryGetValue(BaseKey, out var lr))
        {
            BaseLearningRate = (float)ParseDouble(lr);
        }
    }
}
