using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Inference;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine;

public sealed class ClassifierTests() : CpuFileTest("gpucnn-classifier")
{
    [Fact]
    public void ProbabilitiesAreTheSoftmaxOfTheNetworksLogits()
    {
        var path = Save("lenet5", classes: 5);
        using var reference = ModelZoo.Build("lenet5", acc, maxBatch: 1, classes: 5);
        Checkpoint.Load(path, reference);
        var (inputs, _) = CheckpointTests.RandomBatch(1);
        var logits = reference.Predict(inputs, 1);

        using var classifier = ModelZoo.LoadClassifier("lenet5", path, acc);
        var prediction = classifier.Predict(inputs);

        Assert.Equal(5, classifier.Classes);
        var expected = logits.Select(l => Math.Exp(l - logits.Max())).ToArray();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(expected[i] / expected.Sum(), prediction.Probabilities[i], 5);
        }

        Assert.Equal(Array.IndexOf(logits, logits.Max()), prediction.Class);
    }

    [Fact]
    public void RawPixelsAreNormalisedAsAsked()
    {
        using var classifier = ModelZoo.LoadClassifier("lenet5", Save("lenet5", classes: 10), acc);
        var pixels = Enumerable.Range(0, 784).Select(i => (byte)(i * 7 % 256)).ToArray();
        var normalised = pixels.Select(p => (p / 255f - 0.1307f) / 0.3081f).ToArray();

        Assert.Equal(classifier.Predict(normalised).Probabilities,
            classifier.PredictPixels(pixels, 0.1307f, 0.3081f).Probabilities);
    }

    [Fact]
    public void ConcurrentCallersGetTheSequentialAnswers()
    {
        using var classifier = ModelZoo.LoadClassifier("seednet", Save("seednet", classes: 10), acc, maxBatch: 4);
        const int samples = 64;
        var (inputs, _) = CheckpointTests.RandomBatch(samples);
        float[] Sample(int i) => inputs.AsSpan(i * 784, 784).ToArray();
        var sequential = Enumerable.Range(0, samples).Select(i => classifier.Predict(Sample(i))).ToArray();
        // A batch may sum in another order than single samples, so batches are compared with a batch.
        var sequentialBatch = classifier.PredictBatch(inputs.AsSpan(0, 6 * 784), 6);
        // Softmax outputs are already probabilities and must pass through unchanged.
        Assert.All(sequential, p => Assert.Equal(1f, p.Probabilities.Sum(), 4));
        Assert.True(sequential.Select(p => p.Class).Distinct().Count() > 1, "random inputs should not all agree");

        var concurrent = new Prediction[samples * 4];
        Parallel.For(0, concurrent.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            // Every fourth call is a batch, so that single and batched passes interleave on the one network.
            concurrent[i] = i % 4 == 0
                ? classifier.PredictBatch(inputs.AsSpan(0, 6 * 784), 6)[i / 4 % 6]
                : classifier.Predict(Sample(i % samples));
        });

        for (var i = 0; i < concurrent.Length; i++)
        {
            var expected = i % 4 == 0 ? sequentialBatch[i / 4 % 6] : sequential[i % samples];
            Assert.Equal(expected.Probabilities, concurrent[i].Probabilities);
            Assert.Equal(expected.Class, concurrent[i].Class);
        }
    }

    private string Save(string model, int classes)
    {
        var path = Path.Combine(dir, $"{model}-{classes}.safetensors");
        using var net = ModelZoo.Build(model, acc, maxBatch: 1, seed: 7, classes: classes);
        Checkpoint.Save(path, net, metadata: new Dictionary<string, string> { [ModelZoo.ClassesKey] = $"{classes}" });
        return path;
    }
}
