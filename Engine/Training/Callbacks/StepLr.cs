namespace GpuCnn.Engine.Training.Callbacks;

/// <summary>PyTorch's <c>StepLR</c>: the rate is multiplied by <see cref="Gamma"/> every
/// <see cref="StepSize"/> epochs.</summary>
public sealed class StepLr : EpochSchedule
{
    /// <summary>Decays by <paramref name="gamma"/> every <paramref name="stepSize"/> epochs.</summary>
    public StepLr(int stepSize, float gamma = 0.1f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>Factor of each decay.</summary>
    public float Gamma { get; }

    /// <inheritdoc />
    public override float LearningRateAt(int completedEpochs, float baseLearningRate) =>
        (float)(baseLearningRate * Math.Pow(Gamma, completedEpochs / StepSize));
}
