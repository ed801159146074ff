namespace GpuCnn.Engine.Inference;

/// <summary>The answer for one sample: a probability per class, and the most probable class.</summary>
/// <param name="Probabilities">Softmax of the network's logits; they sum to 1.</param>
/// <param name="Class">The index of the largest probability (the lowest index on a tie).</param>
public sealed record Prediction(float[] Probabilities, int Class)
{
    /// <summary>The probability of <see cref="Class"/>.</summary>
    public float Confidence => Probabilities[Class];

    /// <summary>The class and its probability, e.g. <c>7 (p = 0.998)</c>.</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Class} (p = {Confidence:F3})");
}

/// <summary>
/// Classifies samples with a trained network in evaluation mode, safely from any number of threads.
/// </summary>
/// <remarks>
/// Callers share one network behind a lock rather than a pool of networks: a network's buffers hold one batch at
/// a time, and an accelerator runs one kernel at a time anyway (the CPU one spreads each kernel over every core
/// with a single worker team that serves one job at a time; an OpenCL one has one in-order queue), so a second
/// network on the same accelerator would add memory, not throughput. To serve many requests faster, batch them:
/// <see cref="PredictBatch"/> runs up to the network's maximum batch in one pass.
/// </remarks>
public sealed class Classifier : IDisposable
{
    private readonly Lock gate = new();
    private readonly Network network;
    private readonly bool ownsNetwork;
    private bool disposed;

    /// <summary>Classifies with <paramref name="network"/>, whose output is one score (or probability) per class.
    /// </summary>
    /// <param name="network">A built network with trained parameters.</param>
    /// <param name="ownsNetwork">Dispose the network with this classifier.</param>
    public Classifier(Network network, bool ownsNetwork = true)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.OutputShape.Rank != 1)
        {
            throw new ArgumentException(
                $"A classifier needs one score per class, but the network's output is {network.OutputShape}.",
                nameof(network));
        }

        this.network = network;
        this.ownsNetwork = ownsNetwork;
    }

    /// <summary>The per-sample input shape, e.g. (1, 28, 28).</summary>
    public Shape InputShape => network.InputShape;

    /// <summary>The number of classes.</summary>
    public int Classes => network.OutputShape[0];

    /// <summary>Classifies one sample given as <see cref="InputShape"/> floats, already normalised as in training.
    /// </summary>
    public Prediction Predict(ReadOnlySpan<float> input)
    {
        CheckLength(input.Length, 1);
        return PredictBatch(input, 1)[0];
    }

    /// <summary>
    /// Classifies one sample of raw pixels (0..255, <see cref="InputShape"/> of them), normalised first as
    /// <c>(pixel / 255 - mean) / std</c> — for MNIST, mean 0.1307 and std 0.3081.
    /// </summary>
    public Prediction PredictPixels(ReadOnlySpan<byte> pixels, float mean, float std)
    {
        CheckLength(pixels.Length, 1);
        if (!(std > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(std), std, "The standard deviation must be positive.");
        }

        var input = new float[pixels.Length];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (pixels[i] / 255f - mean) / std;
        }

        return Predict(input);
    }

    /// <summary>Classifies <paramref name="count"/> normalised samples laid out one after another, in passes of at
    /// most the network's maximum batch.</summary>
    public IReadOnlyList<Prediction> PredictBatch(ReadOnlySpan<float> inputs, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        CheckLength(inputs.Length, count);
        var size = InputShape.Size;
        var predictions = new Prediction[count];
        var scores = new float[Math.Min(count, network.MaxBatch) * Classes];
        for (var start = 0; start < count; start += network.MaxBatch)
        {
            var batch = Math.Min(network.MaxBatch, count - start);
            lock (gate)
            {
                ObjectDisposedException.ThrowIf(disposed, this);
                network.Eval();
                network.Forward(inputs.Slice(start * size, batch * size), batch);
                network.Accelerator.CopyToHost(network.OutputOf(network.Output), scores.AsSpan(0, batch * Classes));
            }

            for (var b = 0; b < batch; b++)
            {
                predictions[start + b] = ToPrediction(scores.AsSpan(b * Classes, Classes));
            }
        }

        return predictions;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            if (ownsNetwork)
            {
                network.Dispose();
            }
        }
    }

    private Prediction ToPrediction(ReadOnlySpan<float> scores) => FromScores(scores, network.OutputScores);

    /// <summary>
    /// The prediction for one sample's outputs: the class of the highest score, and probabilities that are the
    /// outputs themselves when <paramref name="scoresAreProbabilities"/> (a network ending in Softmax), else their
    /// softmax (a network ending in logits).
    /// </summary>
    public static Prediction FromScores(ReadOnlySpan<float> scores, bool scoresAreProbabilities) =>
        FromScores(scores, scoresAreProbabilities ? ScoreKind.Probabilities : ScoreKind.Logits);

    /// <summary>
    /// The prediction for one sample's outputs of <paramref name="kind"/>: the class of the highest score, and the
    /// probabilities (the softmax of logits, the outputs of a Softmax, the exponentials of a LogSoftmax).
    /// </summary>
    public static Prediction FromScores(ReadOnlySpan<float> scores, ScoreKind kind)
    {
        var probabilities = scores.ToArray();
        Probabilities.FromScores(probabilities, kind);
        // Every kind is an increasing function of the logits: the arg-max of the scores is the class.
        return new Prediction(probabilities, Probabilities.ArgMax(scores));
    }

    private void CheckLength(int length, int count)
    {
        if (length != count * InputShape.Size)
        {
            throw new ArgumentException(
                $"{count} sample(s) of {InputShape} need {count * InputShape.Size} values, got {length}.");
        }
    }
}
