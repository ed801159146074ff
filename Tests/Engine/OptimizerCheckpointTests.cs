using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>What a checkpoint records of AdamW and RMSprop (their PyTorch names, hyper-parameters and every state
/// tensor), that their state comes back exactly, and that the optimizers refuse hyper-parameters PyTorch refuses.
/// </summary>
public sealed class OptimizerCheckpointTests() : CpuFileTest("gpucnn-optim")
{
    [Fact]
    public void RmsPropStateAndSettingsRoundTripAndTheNextStepIsTheSame()
    {
        var (inputs, labels) = CheckpointTests.RandomBatch(8);
        var path = Path.Combine(dir, "rmsprop.safetensors");
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 8, seed: 1);
        using var rmsprop = NewRmsProp(net);
        using var trainer = new Trainer(net, rmsprop);
        trainer.Step(inputs, labels, 8);
        trainer.Step(inputs, labels, 8);
        Checkpoint.Save(path, net, rmsprop);
        var expectedNext = trainer.Step(inputs, labels, 8).Loss;
        var expectedWeights = net.Parameter("conv1.weight").ToArray();

        var (tensors, saved) = SafeTensors.Read(path);
        Assert.Equal("RMSprop", saved["optimizer"]);
        Assert.Equal("0.001", saved["optimizer.weight_decay"]);
        Assert.Equal("0.5", saved["optimizer.momentum"]);
        Assert.Equal("true", saved["optimizer.centered"]);
        Assert.Equal("0.9", saved["optimizer.alpha"]);
        foreach (var state in new[] { "square_avg", "grad_avg", "momentum_buffer" })
        {
            var t = tensors.Single(t => t.Name == $"optimizer.conv1.weight.{state}");
            Assert.Equal([6, 1, 5, 5], t.Shape);
            Assert.Contains(t.Data, v => v != 0f);
        }

        using var copy = ModelZoo.Build("lenet5", acc, maxBatch: 8, seed: 99);
        using var copyRmsProp = NewRmsProp(copy);
        using var copyTrainer = new Trainer(copy, copyRmsProp);
        Checkpoint.Load(path, copy, copyRmsProp);
        Assert.Equal(2, copyRmsProp.StepCount);
        Assert.Equal(expectedNext, copyTrainer.Step(inputs, labels, 8).Loss);
        Assert.Equal(expectedWeights, copy.Parameter("conv1.weight").ToArray());
    }

    [Fact]
    public void AdamWIsRecordedByNameWithItsDecayAndRefusesAnAdamCheckpoint()
    {
        var path = Path.Combine(dir, "adam.safetensors");
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 1);
        using (var adamW = new AdamW(net.Parameters()))
        {
            Checkpoint.Save(path, net, adamW);
            var saved = Checkpoint.ReadMetadata(path);
            Assert.Equal(("AdamW", "0.01", "0.9,0.999"),
                (saved["optimizer"], saved["optimizer.weight_decay"], saved["optimizer.betas"]));
        }

        using (var adam = new Adam(net.Parameters(), weightDecay: 0.1f))
        {
            Checkpoint.Save(path, net, adam);
            Assert.Equal("0.1", Checkpoint.ReadMetadata(path)["optimizer.weight_decay"]);
        }

        using var other = new AdamW(net.Parameters());
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, net, other));
        Assert.Contains("holds Adam optimizer state, but the run uses AdamW", error.Message);
    }

    [Fact]
    public void ANegativeWeightDecayInTheMetadataIsRefusedNamingTheKey()
    {
        var path = Path.Combine(dir, "bad.safetensors");
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 1);
        Checkpoint.Save(path, net, metadata: new Dictionary<string, string> { ["optimizer.weight_decay"] = "-1" });

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadMetadata(path));
        Assert.Contains("metadata 'optimizer.weight_decay' is \"-1\"; it must be a finite number of at least 0",
            error.Message);
    }

    [Theory]
    [InlineData("seed", "abc", "a whole number from 0 to 18446744073709551615")]
    [InlineData("validation_split", "x", "a number between 0 and 1, both excluded")]
    [InlineData("validation_split", "1.5", "a number between 0 and 1, both excluded")]
    public void ASeedOrValidationSplitThatIsNotOfItsKindIsRefusedNamingTheKey(string key, string value, string kind)
    {
        // --resume reads both as numbers; the check on reading is what keeps a hand-edited value from ending the run
        // in a parse exception there.
        var path = Path.Combine(dir, "bad-" + key + ".safetensors");
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 1);
        Checkpoint.Save(path, net, metadata: new Dictionary<string, string> { [key] = value });

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadMetadata(path));
        Assert.Contains($"metadata '{key}' is \"{value}\"; it must be {kind}", error.Message);
    }

    [Theory]
    [InlineData("adamw", -0.1f, "weightDecay")]
    [InlineData("adamw", float.NaN, "weightDecay")]
    [InlineData("rmsprop", float.PositiveInfinity, "weightDecay")]
    [InlineData("rmsprop-alpha", 1f, "alpha")]
    [InlineData("rmsprop-momentum", -0.5f, "momentum")]
    [InlineData("adam", -1f, "weightDecay")]
    [InlineData("sgd", -1f, "weightDecay")]
    [InlineData("adadelta", float.NegativeInfinity, "weightDecay")]
    public void AHyperParameterPyTorchRefusesIsAnErrorNamingIt(string optimizer, float value, string name)
    {
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 1);
        var p = net.Parameters();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => optimizer switch
        {
            "adamw" => new AdamW(p, weightDecay: value),
            "rmsprop" => new RmsProp(p, weightDecay: value),
            "rmsprop-alpha" => new RmsProp(p, alpha: value),
            "rmsprop-momentum" => new RmsProp(p, momentum: value),
            "adam" => new Adam(p, weightDecay: value),
            "sgd" => new Sgd(p, weightDecay: value),
            _ => (Optimizer)new Adadelta(p, weightDecay: value),
        });
        Assert.Equal(name, error.ParamName);
    }

    private static RmsProp NewRmsProp(Network net) =>
        new(net.Parameters(), lr: 1e-3f, alpha: 0.9f, weightDecay: 1e-3f, momentum: 0.5f, centered: true);
}
