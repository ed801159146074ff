namespace GpuCnn.Engine.Inference;

/// <summary>What a classifier network's outputs are, which decides how they become probabilities.</summary>
public enum ScoreKind
{
    /// <summary>Unnormalised scores (the usual last Linear layer): probabilities are their softmax.</summary>
    Logits,

    /// <summary>The graph ends in Softmax: the outputs already are probabilities.</summary>
    Probabilities,

    /// <summary>The graph ends in LogSoftmax: probabilities are the exponentials of the outputs.</summary>
    LogProbabilities,
}
