using GpuCnn.Datasets;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using GpuCnn.Tests.Datasets;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>End to end on real MNIST: the models learn.</summary>
public sealed class LearningTests
{
    [RealMnistFact]
    public void SeedNetLossFallsOnTwoThousandImages()
    {
        var (train, _) = Mnist.Load(RealMnist.DataDir!);
        using var acc = new CpuAccelerator();
        using var net = ModelZoo.Build("seednet", acc, maxBatch: 64, seed: 0);
        using var adam = new Adam(net.Parameters());
        using var trainer = new Trainer(net, adam);
        var epochLosses = EpochLosses(trainer, train.Slice(0, 2000), epochs: 3);

        // An untrained 10-class model starts near ln(10) = 2.30.
        Assert.InRange(epochLosses[0], 0.3, 2.0);
        Assert.True(epochLosses[2] < epochLosses[0] * 0.5,
            $"loss per epoch: {string.Join(", ", epochLosses.Select(l => l.ToString("F3")))}");
        var held = train.Slice(50000, 1000);
        long correct = 0;
        foreach (var batch in new MnistBatcher(held, 64, shuffle: false, seed: 0).Epoch(0))
        {
            correct += trainer.Evaluate(batch.Images, batch.Labels, batch.Count).Correct;
        }

        Assert.True(correct > 850, $"{correct} of 1000 held-out images right");
    }

    /// <summary>Mean training loss of each of <paramref name="epochs"/> shuffled passes over
    /// <paramref name="data"/>: the learning check every accelerator shares.</summary>
    internal static List<double> EpochLosses(Trainer trainer, MnistDataset data, int epochs)
    {
        var batcher = new MnistBatcher(data, 64, shuffle: true, seed: 0);
        var losses = new List<double>();
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            double sum = 0;
            foreach (var batch in batcher.Epoch(epoch))
            {
                sum += trainer.Step(batch.Images, batch.Labels, batch.Count).Loss * batch.Count;
            }

            losses.Add(sum / data.Count);
        }

        return losses;
    }

    [Fact]
    public void TrainingIsBitwiseReproducibleFromTheSeed()
    {
        float[] Run()
        {
            var (inputs, labels) = CheckpointTests.RandomBatch(16);
            using var acc = new CpuAccelerator();
            using var net = ModelZoo.Build("seednet", acc, maxBatch: 16, seed: 5);
            using var sgd = new Sgd(net.Parameters(), 0.05f, momentum: 0.9f);
            using var trainer = new Trainer(net, sgd);
            for (var i = 0; i < 3; i++)
            {
                trainer.Step(inputs, labels, 16);
            }

            return net.Parameter("fc1.weight").ToArray();
        }

        Assert.Equal(Run(), Run());
    }
}
