namespace GpuCnn.Engine.Inference;

/// <summary>Turns a classifier's outputs into probabilities, for <see cref="Network"/> and
/// <see cref="Classifier"/> alike.</summary>
internal static class Probabilities
{
    /// <summary>Rewrites one sample's <paramref name="scores"/> in place as probabilities that sum to 1.</summary>
    public static void FromScores(Span<float> scores, ScoreKind kind)
    {
        switch (kind)
        {
            case ScoreKind.Probabilities:
                return;
            case ScoreKind.LogProbabilities:
                // exp(log_softmax(z)) is softmax(z); renormalising would only move rounding around.
                for (var i = 0; i < scores.Length; i++)
                {
                    scores[i] = MathF.Exp(scores[i]);
                }

                return;
            default:
                Softmax(scores);
                return;
        }
    }

    /// <summary>The index of the largest value, the lowest one on a tie.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static void Softmax(Span<float> logits)
    {
        // Shift by the largest score so that exp never overflows.
        var max = logits[ArgMax(logits)];
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = MathF.Exp(logits[i] - max);
            sum += logits[i];
        }

        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)(logits[i] / sum);
        }
    }
}
