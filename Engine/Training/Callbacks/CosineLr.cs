namespace GpuCnn.Engine.Training.Callbacks;

/// <summary>
/// PyTorch's <c>CosineAnnealingLR</c> in its closed form: eta_min + (base - eta_min)(1 + cos(pi t / T_max)) / 2
/// after t epochs, falling from the initial rate to <see cref="MinLearningRate"/> over <see cref="TMax"/> epochs
/// (and, as in PyTorch, rising again after that).
/// </summary>
public sealed class CosineLr : EpochSchedule
{
    /// <summary>Anneals over <paramref name="tMax"/> epochs down to <paramref name="minLearningRate"/>.</summary>
    public CosineLr(int tMax, float minLearningRate = 0f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tMax);
        TMax = tMax;
        MinLearningRate = minLearningRate;
    }

    /// <summary>Epochs of the half cosine.</summary>
    public int TMax { get; }

    /// <summary>The rate at the bottom (eta_min).</summary>
    public float MinLearningRate { get; }

    /// <inheritdoc />
    public override float LearningRateAt(int completedEpochs, float baseLearningRate) =>
        (float)(MinLearningRate + (baseLearningRate - MinLearningRate) *
            (1 + Math.Cos(Math.PI * completedEpochs / TMax)) / 2);
}
