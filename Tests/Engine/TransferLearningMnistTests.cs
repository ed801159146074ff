using GpuCnn.Datasets;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using GpuCnn.Tests.Datasets;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// The transfer of the README at a small scale: LeNet-5 learns digits 0..4, then its frozen convolutions and a
/// new 5-class head learn 5..9.
/// </summary>
public sealed class TransferLearningMnistTests
{
    private const int Batch = 32;

    [RealMnistFact]
    public void FrozenConvolutionsFromDigits0To4CarryOverToDigits5To9()
    {
        var (train, test) = Mnist.Load(RealMnist.DataDir!);
        using var acc = new CpuAccelerator();
        var path = Path.Combine(Directory.CreateTempSubdirectory("gpucnn-transfer").FullName, "0-4.safetensors");
        using (var source = ModelZoo.Build("lenet5", acc, Batch, seed: 1, classes: 5))
        {
            Fit(source, train.SelectClasses([0, 1, 2, 3, 4]).Slice(0, 3000));
            Checkpoint.Save(path, source);
        }

        using var target = ModelZoo.Build("lenet5", acc, Batch, seed: 2, classes: 5);
        var report = Checkpoint.LoadMatching(path, target, exclude: ["fc3"]);
        Assert.Equal(8, report.Loaded.Count);
        target.Freeze("conv1", "conv2");
        var frozen = target.Parameters().Where(p => !p.RequiresGrad).ToDictionary(p => p.Name, p => p.ToArray());
        Fit(target, train.SelectClasses([5, 6, 7, 8, 9]).Slice(0, 3000));

        Assert.Equal(["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"], frozen.Keys);
        Assert.All(frozen, f => Assert.Equal(f.Value, target.Parameter(f.Key).ToArray()));
        var testSet = test.SelectClasses([5, 6, 7, 8, 9]).Slice(0, 1000);
        var accuracy = Accuracy(target, testSet);
        // Chance is 20 %; with these seeds this reaches 86 %. 80 % leaves room for another summation order in the
        // kernels but fails when the chain breaks: dense layers or head left untrained, or labels 5..9 not remapped
        // to 0..4. At this size random frozen convolutions reach about 90 % too, so this does not show that the
        // transferred features help; that is measured at full scale (README: 98.3 % against 96.0 %).
        Assert.True(accuracy >= 0.80, $"accuracy on digits 5..9 was {accuracy:P2}");
    }

    private static void Fit(Network network, MnistDataset data)
    {
        using var adam = new Adam(network.Parameters());
        using var trainer = new Trainer(network, adam);
        foreach (var batch in new MnistBatcher(data, Batch, shuffle: true, seed: 3).Epoch(0))
        {
            trainer.Step(batch.Images, batch.Labels, batch.Count);
        }
    }

    private static double Accuracy(Network network, MnistDataset data)
    {
        using var sgd = new Sgd(network.Parameters(), 0f);
        using var trainer = new Trainer(network, sgd);
        var correct = 0;
        foreach (var batch in new MnistBatcher(data, Batch, shuffle: false, seed: 0).Epoch(0))
        {
            correct += trainer.Evaluate(batch.Images, batch.Labels, batch.Count).Correct;
        }

        return (double)correct / data.Count;
    }
}
