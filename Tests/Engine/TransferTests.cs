using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine;

public sealed class TransferTests() : CpuFileTest("gpucnn-transfer")
{
    [Fact]
    public void TenClassCheckpointLoadsIntoFiveClassModelAllButTheHead()
    {
        var path = Path.Combine(dir, "ten.safetensors");
        using (var ten = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 1))
        {
            Checkpoint.Save(path, ten);
        }

        using var five = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 2, classes: 5);
        using var fresh = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 2, classes: 5);
        var report = Checkpoint.LoadMatching(path, five);

        Assert.Equal(["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
            "fc2.weight", "fc2.bias"], report.Loaded);
        Assert.Equal(["fc3.weight", "fc3.bias"], report.Skipped.Select(m => m.Name));
        Assert.Equal([10, 84], report.Skipped[0].FileShape);
        Assert.Equal(new Shape(5, 84), report.Skipped[0].NetworkShape);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        Assert.False(report.IsExact);
        var (tensors, _) = SafeTensors.Read(path);
        Assert.Equal(tensors.Single(t => t.Name == "fc2.weight").Data, five.Parameter("fc2.weight").ToArray());
        // The replaced head keeps the initialisation of its own seed.
        Assert.Equal(fresh.Parameter("fc3.weight").ToArray(), five.Parameter("fc3.weight").ToArray());
    }

    [Fact]
    public void LoadMatchingReportsWhatTheFileLacksAndHasInExcessAndHonoursExclusions()
    {
        var path = Path.Combine(dir, "seednet.safetensors");
        using (var seednet = ModelZoo.Build("seednet", acc, maxBatch: 1))
        {
            Checkpoint.Save(path, seednet);
        }

        using var lenet = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 3);
        var before = lenet.Parameter("conv1.weight").ToArray();
        var report = Checkpoint.LoadMatching(path, lenet, exclude: ["conv1"]);
        var (tensors, _) = SafeTensors.Read(path);

        // SeedNet's tensors that LeNet-5 also names but with other shapes are skipped; none load.
        var lenetNames = lenet.Parameters().Select(p => p.Name).ToHashSet();
        Assert.Equal(lenetNames.Where(n => !tensors.Any(t => t.Name == n)), report.Missing);
        Assert.Equal(tensors.Select(t => t.Name).Where(n => !lenetNames.Contains(n)), report.Unexpected);
        Assert.Contains("conv1.weight", report.Excluded);
        Assert.Equal(before, lenet.Parameter("conv1.weight").ToArray());
        Assert.Equal(lenet.Parameters().Count,
            report.Loaded.Count + report.Excluded.Count + report.Skipped.Count + report.Missing.Count);
    }

    [Fact]
    public void FrozenParametersStayBitwiseUnchangedWhileTheOthersTrain()
    {
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 8, seed: 4);
        var frozen = net.Freeze("conv1", "conv2.weight");
        Assert.Equal(["conv1.weight", "conv1.bias", "conv2.weight"], frozen.Select(p => p.Name));
        var before = net.Parameters().ToDictionary(p => p.Name, p => p.ToArray());
        using var adam = new Adam(net.Parameters(), 0.01f);
        using var trainer = new Trainer(net, adam);
        var (inputs, labels) = CheckpointTests.RandomBatch(8);
        for (var i = 0; i < 3; i++)
        {
            trainer.Step(inputs, labels, 8);
        }

        foreach (var p in net.Parameters())
        {
            var unchanged = before[p.Name].SequenceEqual(p.ToArray());
            Assert.True(unchanged == !p.RequiresGrad, $"{p.Name}: frozen {!p.RequiresGrad}, unchanged {unchanged}");
        }
    }

    [Fact]
    public void BackwardStopsWhereNothingBeforeTrains()
    {
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 8, seed: 5);
        using var adam = new Adam(net.Parameters());
        using var trainer = new Trainer(net, adam);
        var (inputs, labels) = CheckpointTests.RandomBatch(8);
        // The flattened features feed fc1; their gradient is needed only while a convolution trains.
        var features = net.Nodes.Single(n => n.Kind == "Flatten");
        float[] FeatureGradient()
        {
            trainer.ComputeGradients(inputs, labels, 8);
            var grad = new float[8 * features.OutputShape.Size];
            acc.CopyToHost(net.GradOf(features)!, grad);
            return grad;
        }

        Assert.Contains(FeatureGradient(), g => g != 0f);
        net.Freeze("conv1", "conv2");
        Assert.All(FeatureGradient(), g => Assert.Equal(0f, g));
        Assert.All(net.Parameter("conv2.weight").GradToArray(), g => Assert.Equal(0f, g));
        Assert.Contains(net.Parameter("fc1.weight").GradToArray(), g => g != 0f);
        net.Unfreeze("conv2");
        Assert.Contains(FeatureGradient(), g => g != 0f);
        Assert.Contains(net.Parameter("conv2.weight").GradToArray(), g => g != 0f);
    }

    [Fact]
    public void FreezeRejectsAPrefixThatIsNotAWholeName()
    {
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1);
        var error = Assert.Throws<ArgumentException>(() => net.Freeze("conv"));
        Assert.Contains("conv1.weight", error.Message);
        Assert.All(net.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Theory]
    [InlineData(TransferRegime.Linear, "conv1,conv2,fc1,fc2", 1f)]
    [InlineData(TransferRegime.FinetuneTop, "conv1,conv2", 1f)]
    [InlineData(TransferRegime.FinetuneAll, "", 0.1f)]
    [InlineData(TransferRegime.FromPretrained, "", 1f)]
    public void RegimesFreezeWhatTheyDocument(TransferRegime regime, string frozen, float lrScale)
    {
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1, classes: 5);
        net.Freeze("fc3");

        Assert.Equal(frozen, string.Join(",", regime.Apply(net)));
        Assert.Equal(frozen, string.Join(",", net.Parameters().Where(p => !p.RequiresGrad)
            .Select(p => p.Name[..p.Name.IndexOf('.')]).Distinct()));
        Assert.Equal(lrScale, regime.LearningRateScale());
        Assert.Equal(regime, TransferRegimes.Parse(regime.Name()));
    }
}
