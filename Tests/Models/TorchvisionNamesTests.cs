using GpuCnn.Engine;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Models;

/// <summary>
/// Every parameter and state tensor of a model has the name and shape of torchvision's state_dict entry, in
/// torchvision's order, so a state_dict saved as safetensors loads by name. The expected lists were written once by
/// Tests/Models/fixtures/make_fixtures.py (torch 1.13, torchvision 0.14).
/// </summary>
public sealed class TorchvisionNamesTests
{
    [Theory]
    [InlineData("alexnet", "alexnet")]
    [InlineData("vgg16", "vgg16")]
    [InlineData("vgg16-bn", "vgg16_bn")]
    [InlineData("resnet18", "resnet18")]
    [InlineData("resnet50", "resnet50")]
    [InlineData("densenet121", "densenet121")]
    public void TensorNamesAndShapesAreTorchvisions(string model, string fixture)
    {
        var expected = ModelSupport.Fixture(fixture);

        var actual = ModelSupport.KeyLines(ModelZoo.Summary(model).Tensors);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void GoogLeNetAndItsAuxHeadsHaveTorchvisionsNames()
    {
        var expected = ModelSupport.Fixture("googlenet");
        var g = new GraphBuilder();
        var outputs = GoogLeNet.DefineWithAuxHeads(g, g.Input(GoogLeNet.InputShape));

        var main = ModelSupport.KeyLines(ModelSummary.Of(g, outputs.Logits).Tensors);
        var aux1 = ModelSupport.KeyLines(ModelSummary.Of(g, outputs.Aux1).Tensors.Where(t => IsIn("aux1", t)));
        var aux2 = ModelSupport.KeyLines(ModelSummary.Of(g, outputs.Aux2).Tensors.Where(t => IsIn("aux2", t)));

        Assert.Equal(expected.Where(k => !k.StartsWith("aux", StringComparison.Ordinal)), main);
        Assert.Equal(expected.Where(k => k.StartsWith("aux1.", StringComparison.Ordinal)), aux1);
        Assert.Equal(expected.Where(k => k.StartsWith("aux2.", StringComparison.Ordinal)), aux2);
        Assert.Contains("inception3a.branch4.1.conv.weight\t32,192,1,1", main);
        Assert.Contains("aux1.conv.conv.weight\t128,512,1,1", aux1);

        static bool IsIn(string head, SummaryTensor t) => t.Name.StartsWith(head + ".", StringComparison.Ordinal);
    }

    [Fact]
    public void ABuiltNetworkHoldsTheTensorsTheShapeOnlySummaryLists()
    {
        using var acc = new CpuAccelerator(1);
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1);

        var built = ModelSupport.KeyLines(ModelSummary.Of(net).Tensors);

        Assert.Equal(ModelSupport.KeyLines(ModelZoo.Summary("lenet5").Tensors), built);
        Assert.Equal(net.Parameters().Select(p => p.Name), ModelSummary.Of(net).Tensors.Select(t => t.Name));
        Assert.Equal("fc3.bias\t10", built.Last());
    }

    [Fact]
    public void BatchNormContributesWeightBiasAndRunningStatistics()
    {
        var tensors = ModelZoo.Summary("resnet18").Tensors.Where(t => t.Name.StartsWith("layer2.0.downsample.1.",
            StringComparison.Ordinal)).ToList();

        Assert.Equal(["weight", "bias", "running_mean", "running_var"], tensors.Select(t => t.Name.Split('.')[^1]));
        Assert.Equal([true, true, false, false], tensors.Select(t => t.IsParameter));
        Assert.All(tensors, t => Assert.Equal(new Shape(128), t.Shape));
    }

    [Fact]
    public void NarrowVersionsKeepTheNamesSoTorchWeightsOfTheSameWidthLoad()
    {
        static IEnumerable<string> Names(ModelSummary s) => s.Tensors.Select(t => t.Name);
        var full = ModelZoo.Summary("resnet50");
        var narrow = ModelSupport.Summarise(ResNet.InputShape, (g, x) => ResNet.ResNet50(g, x, 10, baseChannels: 2));
        var fullDense = ModelZoo.Summary("densenet121");
        var narrowDense = ModelSupport.Summarise(DenseNet.InputShape, (g, x) => DenseNet.DenseNet121(g, x,
            growth: 2, initFeatures: 4));

        Assert.Equal(Names(full), Names(narrow)); // the head's width is a shape, not a name
        Assert.Equal(Names(fullDense), Names(narrowDense));
        Assert.True(narrow.TotalParameters < 30_000);
    }
}
