using GpuCnn.Engine.Inference;

namespace GpuCnn.Engine;

// Probabilities and classes for any classifier graph, however it ends, so that callers never apply a softmax
// themselves (twice, for a model that already ends in one).
public sealed partial class Network
{
    /// <summary>What <see cref="Predict"/> returns for each sample: logits, probabilities or log-probabilities,
    /// read from the last node (Softmax, LogSoftmax, or anything else).</summary>
    public ScoreKind OutputScores => Output.Kind switch
    {
        "Softmax" => ScoreKind.Probabilities,
        "LogSoftmax" => ScoreKind.LogProbabilities,
        _ => ScoreKind.Logits,
    };

    /// <summary>
    /// Runs forward in evaluation mode and returns each sample's class probabilities (batch, classes), each row
    /// summing to 1: the softmax of the logits, applied exactly once whether the graph ends in logits, Softmax or
    /// LogSoftmax.
    /// </summary>
    /// <param name="input">At least <paramref name="batch"/> samples of <see cref="InputShape"/>, normalised as in
    /// training.</param>
    /// <param name="batch">Samples to run, at most <see cref="MaxBatch"/>.</param>
    /// <exception cref="InvalidOperationException">The output is not one score per class.</exception>
    public float[] PredictProbabilities(ReadOnlySpan<float> input, int batch)
    {
        var classes = ClassCount();
        var scores = Predict(input, batch);
        var kind = OutputScores;
        for (var n = 0; n < batch; n++)
        {
            Probabilities.FromScores(scores.AsSpan(n * classes, classes), kind);
        }

        return scores;
    }

    /// <summary>
    /// Classifies <paramref name="batch"/> samples: for each, its probabilities (as
    /// <see cref="PredictProbabilities"/>) and the most probable class.
    /// </summary>
    /// <param name="input">At least <paramref name="batch"/> samples of <see cref="InputShape"/>, normalised as in
    /// training.</param>
    /// <param name="batch">Samples to run, at most <see cref="MaxBatch"/>.</param>
    /// <exception cref="InvalidOperationException">The output is not one score per class.</exception>
    public Prediction[] Classify(ReadOnlySpan<float> input, int batch)
    {
        var classes = ClassCount();
        var scores = Predict(input, batch);
        var kind = OutputScores;
        var predictions = new Prediction[batch];
        for (var n = 0; n < batch; n++)
        {
            predictions[n] = Classifier.FromScores(scores.AsSpan(n * classes, classes), kind);
        }

        return predictions;
    }

    private int ClassCount() => OutputShape.Rank == 1
        ? OutputShape[0]
        : throw new InvalidOperationException(
            $"Probabilities need one score per class, but the network's output is {OutputShape}.");
}
