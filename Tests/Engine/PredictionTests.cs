using GpuCnn.Engine;
using GpuCnn.Engine.Inference;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// <see cref="Network.PredictProbabilities"/> and <see cref="Network.Classify"/> give the softmax of the logits,
/// applied once, whether a graph ends in logits, Softmax or LogSoftmax.
/// </summary>
public sealed class PredictionTests : IDisposable
{
    private readonly CpuAccelerator acc = new();

    public void Dispose() => acc.Dispose();

    [Fact]
    public void EveryZooModelSaysWhatItsOutputsAre()
    {
        // Read from the definition, so that the ImageNet models need not be built: seednet ends in Softmax (as the
        // lecture's Keras model does), every other model in the logits of its last Linear layer.
        foreach (var name in ModelZoo.Names)
        {
            var output = ModelZoo.Define(new GraphBuilder(), name);
            var expected = name == "seednet" ? "Softmax" : "Linear";
            Assert.True(output.Kind == expected, $"{name} ends in {output.Kind}, not {expected}");
        }
    }

    [Theory]
    [InlineData("lenet5", ScoreKind.Logits)]
    [InlineData("seednet", ScoreKind.Probabilities)]
    [InlineData("vgg11-cifar", ScoreKind.Logits)]
    [InlineData("resnet18-cifar", ScoreKind.Logits)]
    public void ZooModelsGiveTheSoftmaxOfTheirLogitsOnce(string model, ScoreKind kind)
    {
        using var net = ModelZoo.Build(model, acc, maxBatch: 3, seed: 5);
        Assert.Equal(kind, net.OutputScores);
        AssertProbabilitiesAreTheSoftmaxOfTheLogits(net, batch: 3);
    }

    [Theory]
    [InlineData("logits", ScoreKind.Logits)]
    [InlineData("softmax", ScoreKind.Probabilities)]
    [InlineData("log-softmax", ScoreKind.LogProbabilities)]
    public void AGraphEndingInAnyOfTheThreeGivesTheSameProbabilities(string ending, ScoreKind kind)
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(12));
        var logits = g.Linear(g.Relu(g.Linear(x, 16)), 5);
        var output = ending switch
        {
            "softmax" => g.Softmax(logits),
            "log-softmax" => g.LogSoftmax(logits),
            _ => logits,
        };
        using var net = g.Build(output, acc, maxBatch: 4, seed: 3);

        Assert.Equal(kind, net.OutputScores);
        AssertProbabilitiesAreTheSoftmaxOfTheLogits(net, batch: 4);
    }

    [Fact]
    public void ClassifyPicksTheMostProbableClassAndNamesItWithItsProbability()
    {
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 4, seed: 2);
        var input = Input(net, 4);
        var probabilities = net.PredictProbabilities(input, 4);

        var predictions = net.Classify(input, 4);

        Assert.Equal(4, predictions.Length);
        for (var n = 0; n < 4; n++)
        {
            var row = probabilities.AsSpan(n * 10, 10).ToArray();
            Assert.Equal(row, predictions[n].Probabilities);
            Assert.Equal(Array.IndexOf(row, row.Max()), predictions[n].Class);
            Assert.Equal($"{predictions[n].Class} (p = {row.Max():F3})", predictions[n].ToString());
        }
    }

    [Fact]
    public void AnOutputThatIsNotOneScorePerClassIsRefused()
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(1, 6, 6));
        using var net = g.Build(g.Conv2d(x, 2, 3), acc, maxBatch: 1);

        var e = Assert.Throws<InvalidOperationException>(() => net.PredictProbabilities(new float[36], 1));
        Assert.Contains("one score per class", e.Message);
    }

    // The oracle: softmax in double precision of the logits node (the output, or the input of a final Softmax or
    // LogSoftmax), read from the device after the same forward pass.
    private static void AssertProbabilitiesAreTheSoftmaxOfTheLogits(Network net, int batch)
    {
        var input = Input(net, batch);
        var probabilities = net.PredictProbabilities(input, batch);
        var logitsNode = net.Output.Kind is "Softmax" or "LogSoftmax" ? net.Output.Inputs[0] : net.Output;
        var classes = net.OutputShape[0];
        var logits = new float[batch * classes];
        net.Accelerator.CopyToHost(net.OutputOf(logitsNode), logits);

        Assert.Equal(batch * classes, probabilities.Length);
        for (var n = 0; n < batch; n++)
        {
            var expected = Softmax(logits.AsSpan(n * classes, classes));
            // The check could fail: a second softmax would move these probabilities by more than the tolerance.
            var twice = Softmax([.. expected.Select(p => (float)p)]);
            Assert.True(expected.Zip(twice).Max(p => Math.Abs(p.First - p.Second)) > 1e-4,
                "the inputs should give probabilities that a second softmax would change");
            for (var k = 0; k < classes; k++)
            {
                Assert.Equal(expected[k], probabilities[n * classes + k], 5);
            }

            Assert.Equal(1.0, probabilities.AsSpan(n * classes, classes).ToArray().Sum(), 4);
        }
    }

    private static double[] Softmax(ReadOnlySpan<float> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        var e = new double[logits.Length];
        for (var i = 0; i < e.Length; i++)
        {
            e[i] = Math.Exp(logits[i] - max);
        }

        var sum = e.Sum();
        return [.. e.Select(v => v / sum)];
    }

    // Large inputs, so that even freshly initialised networks give logits far enough apart to tell one softmax
    // from two.
    private static float[] Input(Network net, int batch)
    {
        var random = new Random(11);
        return [.. Enumerable.Range(0, batch * net.InputShape.Size).Select(_ => 4f * (random.NextSingle() - 0.5f))];
    }
}
