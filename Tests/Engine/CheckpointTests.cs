using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine;

public sealed class CheckpointTests() : CpuFileTest("gpucnn-ckpt")
{
    [Fact]
    public void RoundTripRestoresParametersOptimizerStateAndTheNextStep()
    {
        var (inputs, labels) = RandomBatch(8);
        var path = Path.Combine(dir, "lenet.safetensors");
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 8, seed: 1);
        using var adam = new Adam(net.Parameters());
        using var trainer = new Trainer(net, adam);
        trainer.Step(inputs, labels, 8);
        trainer.Step(inputs, labels, 8);
        Checkpoint.Save(path, net, adam, new Dictionary<string, string> { ["epoch"] = "2" });
        var expectedNext = trainer.Step(inputs, labels, 8).Loss;
        var expectedWeights = net.Parameter("fc3.weight").ToArray();

        using var copy = ModelZoo.Build("lenet5", acc, maxBatch: 8, seed: 99);
        using var copyAdam = new Adam(copy.Parameters());
        using var copyTrainer = new Trainer(copy, copyAdam);
        var metadata = Checkpoint.Load(path, copy, copyAdam);

        Assert.Equal("2", metadata["epoch"]);
        Assert.Equal("Adam", metadata["optimizer"]);
        Assert.Equal(2, copyAdam.StepCount);
        Assert.Equal(expectedNext, copyTrainer.Step(inputs, labels, 8).Loss);
        Assert.Equal(expectedWeights, copy.Parameter("fc3.weight").ToArray());
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void FileHoldsPyTorchNamesAndShapes()
    {
        var path = Path.Combine(dir, "names.safetensors");
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1);
        Checkpoint.Save(path, net);

        var (tensors, _) = SafeTensors.Read(path);

        var conv1 = tensors.Single(t => t.Name == "conv1.weight");
        Assert.Equal([6, 1, 5, 5], conv1.Shape);
        Assert.Equal(net.Parameter("conv1.weight").ToArray(), conv1.Data);
        Assert.Equal(10, tensors.Count);
    }

    [Fact]
    public void BatchNormRunningStatisticsSurviveARoundTrip()
    {
        var path = Path.Combine(dir, "bn.safetensors");
        var g = new GraphBuilder();
        var bn = g.BatchNorm2d(g.Conv2d(g.Input(new Shape(1, 6, 6)), 4, 3));
        using var net = g.Build(bn, acc, maxBatch: 2, seed: 1);
        var input = Enumerable.Range(0, 2 * 36).Select(i => MathF.Sin(i * 0.7f) + 0.5f).ToArray();
        net.Forward(input, 2);
        net.Forward(input, 2);
        Checkpoint.Save(path, net);

        var (tensors, _) = SafeTensors.Read(path);
        var runningMean = tensors.Single(t => t.Name == "bn1.running_mean");
        var runningVar = tensors.Single(t => t.Name == "bn1.running_var");
        Assert.Equal([4], runningMean.Shape);
        Assert.Equal(net.States().Single(s => s.Name == "bn1.running_mean").ToArray(), runningMean.Data);
        Assert.Equal(net.States().Single(s => s.Name == "bn1.running_var").ToArray(), runningVar.Data);

        // Two training passes moved the statistics from their start (0 and 1); a fresh network starts there.
        Assert.All(runningMean.Data, v => Assert.NotEqual(0f, v));
        using var copy = g.Build(bn, acc, maxBatch: 2, seed: 2);
        Assert.All(copy.States()[0].ToArray(), v => Assert.Equal(0f, v));
        Checkpoint.Load(path, copy);

        Assert.Equal(runningMean.Data, copy.States()[0].ToArray());
        Assert.Equal(runningVar.Data, copy.States()[1].ToArray());
        Assert.Equal(net.Predict(input, 2), copy.Predict(input, 2));
    }

    [Fact]
    public void TruncatedFileIsAnErrorNamingTheFile()
    {
        var path = Path.Combine(dir, "cut.safetensors");
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1);
        Checkpoint.Save(path, net);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, net));

        Assert.Contains(path, error.Message);
        Assert.Contains("fc3.weight", error.Message); // the first tensor the file no longer holds
    }

    [Fact]
    public void CheckpointOfAnotherModelIsRejectedWithTheMismatches()
    {
        var path = Path.Combine(dir, "seednet.safetensors");
        using var seed = ModelZoo.Build("seednet", acc, maxBatch: 1);
        Checkpoint.Save(path, seed);
        using var lenet = ModelZoo.Build("lenet5", acc, maxBatch: 1);
        var before = lenet.Parameter("conv1.weight").ToArray();

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, lenet));

        Assert.Contains("'conv1.weight' has shape (64, 1, 3, 3) in the file but (6, 1, 5, 5)", error.Message);
        Assert.Contains("'fc3.weight' is missing", error.Message);
        Assert.Equal(before, lenet.Parameter("conv1.weight").ToArray());
    }

    [Fact]
    public void SavingOverAnExistingFileReplacesItWhole()
    {
        var path = Path.Combine(dir, "over.safetensors");
        File.WriteAllText(path, "old contents");
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1);

        Checkpoint.Save(path, net);

        Assert.Equal(10, SafeTensors.Read(path).Tensors.Count);
    }

    internal static (float[] Inputs, int[] Labels) RandomBatch(int batch)
    {
        var random = new SeededRandom(3);
        var inputs = new float[batch * 784];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = random.NextUniform(-0.5f, 2f);
        }

        return (inputs, Enumerable.Range(0, batch).Select(i => i % 10).ToArray());
    }
}
