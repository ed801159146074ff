using GpuCnn.Engine;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Models;

/// <summary>
/// Parameter totals of every zoo model and of the factories' variants, from the shape-only summary. The ImageNet
/// totals are torchvision's (Tests/Models/fixtures/make_fixtures.py prints them); the others were counted on the
/// same architectures built in torch (fixtures/reference_totals.py) and, for VGG C, against the paper's Table 2.
/// </summary>
public sealed class ModelTotalsTests
{
    public static TheoryData<string, long> ZooTotals { get; } = new()
    {
        { "lenet5", 61_706 },
        { "seednet", 1_191_338 },
        { "alexnet", 61_100_840 },
        { "alexnet-paper", 60_965_224 },
        { "zfnet", 62_357_608 },
        { "vgg11", 132_863_336 },
        { "vgg11-lrn", 132_863_336 }, // LRN has no parameters: the paper lists A and A-LRN together, 133M
        { "vgg13", 133_047_848 },
        { "vgg13c", 133_638_952 }, // B + (256*256 + 256) + 2 * (512*512 + 512); the paper's 134M
        { "vgg16", 138_357_544 },
        { "vgg19", 143_667_240 },
        { "vgg11-bn", 132_868_840 },
        { "vgg13-bn", 133_053_736 },
        { "vgg16-bn", 138_365_992 },
        { "vgg19-bn", 143_678_248 },
        { "resnet18", 11_689_512 },
        { "resnet34", 21_797_672 },
        { "resnet50", 25_557_032 },
        { "resnet101", 44_549_160 },
        { "resnet152", 60_192_808 },
        { "googlenet", 6_624_904 },
        { "densenet121", 7_978_856 },
        { "vgg11-cifar", 9_231_114 },
        { "vgg16-cifar", 14_728_266 },
        { "resnet18-cifar", 11_173_962 },
    };

    [Theory]
    [MemberData(nameof(ZooTotals))]
    public void ZooModelHasItsReferenceParameterCount(string name, long total) =>
        Assert.Equal(total, ModelZoo.Summary(name).TotalParameters);

    [Fact]
    public void EveryZooModelHasAReferenceTotalHere() =>
        Assert.Equal(ModelZoo.Names.Order(), ZooTotals.Select(row => (string)row[0]).Order());

    [Fact]
    public void TheVggPaperTableRoundsToTheseTotals()
    {
        // Table 2 of Simonyan and Zisserman, in millions: A, A-LRN 133; B 133; C 134; D 138; E 144.
        (string Name, int Millions)[] table =
            [("vgg11", 133), ("vgg11-lrn", 133), ("vgg13", 133), ("vgg13c", 134), ("vgg16", 138), ("vgg19", 144)];
        foreach (var (name, millions) in table)
        {
            Assert.Equal(millions, (int)Math.Round(ModelZoo.Summary(name).TotalParameters / 1e6));
        }
    }

    [Theory]
    [InlineData("alexnet", 4096)]
    [InlineData("vgg16", 4096)]
    [InlineData("resnet50", 2048)]
    [InlineData("googlenet", 1024)]
    [InlineData("densenet121", 1024)]
    [InlineData("resnet18-cifar", 512)]
    public void OnlyTheHeadDependsOnTheClassCount(string name, int features)
    {
        var published = ModelZoo.Summary(name).TotalParameters;
        var defaultClasses = ModelZoo.DefaultClasses(name);

        var five = ModelZoo.Summary(name, classes: 5).TotalParameters;

        Assert.Equal(published - (long)(defaultClasses - 5) * (features + 1), five);
    }

    [Fact]
    public void ImageNetModelsDefaultTo1000ClassesAndTheOthersTo10()
    {
        Assert.Equal(1000, ModelZoo.Summary("densenet121").Rows[^1].OutputShape[0]);
        Assert.Equal(10, ModelZoo.Summary("resnet18-cifar").Rows[^1].OutputShape[0]);
        Assert.Equal(10, ModelZoo.Summary("lenet5").Rows[^1].OutputShape[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelZoo.Summary("vgg16", classes: 1));
        Assert.Throws<ArgumentException>(() => ModelZoo.Summary("vgg17"));
    }

    [Fact]
    public void GoogLeNetWithAuxHeadsHasTorchvisionsTotal()
    {
        var g = new GraphBuilder();
        var outputs = GoogLeNet.DefineWithAuxHeads(g, g.Input(GoogLeNet.InputShape));

        Assert.Equal(13_004_888, ModelSupport.TotalParameters(g, outputs.Logits, outputs.Aux1, outputs.Aux2));
        Assert.Equal(6_624_904, ModelSummary.Of(g, outputs.Logits).TotalParameters);
    }

    [Fact]
    public void GoogLeNetWithThePapers5x5ThirdBranches()
    {
        // Each module gains 16 weights per 5x5-reduce x 5x5 channel pair: 16 * 23,808 = 380,928.
        var summary = ModelSupport.Summarise(GoogLeNet.InputShape, (g, x) => GoogLeNet.Define(g, x,
            paperBranch3: true));

        Assert.Equal(7_005_832, summary.TotalParameters);
        Assert.Equal("32 5x5/1 pad 2", summary.Row("inception3a.branch3.1.conv").Details);
    }

    [Fact]
    public void ZFNetWithTheWiderMiddleLayers()
    {
        var summary = ModelSupport.Summarise(ZFNet.InputShape, (g, x) => ZFNet.Define(g, x, wideMiddle: true));

        Assert.Equal(107_627_624, summary.TotalParameters);
        Assert.Equal(new Shape(512, 6, 6), summary.Row("pool5").OutputShape);
    }

    // Small versions for conformance tests, each checked against the same network built in torch.
    public static TheoryData<string, long> TinyTotals { get; } = new()
    {
        { "alexnet width 1/64", 15_068 },
        { "alexnet-paper width 1/64", 15_424 },
        { "zfnet width 1/64", 15_362 },
        { "vgg11-cifar width 1/32", 9_482 },
        { "vgg C with batch norm width 1/64 at 32x32", 8_050 },
        { "resnet18-cifar base 2", 11_420 },
        { "resnet50 base 2", 25_500 },
        { "densenet blocks 2, 2 growth 4", 4_706 },
        { "googlenet width 1/16 with aux heads", 42_363 },
    };

    [Theory]
    [MemberData(nameof(TinyTotals))]
    public void TinyVersionsHaveTheirReferenceTotals(string name, long total)
    {
        var g = new GraphBuilder();
        var cifar = new Shape(3, 32, 32);
        Node In(Shape shape) => g.Input(shape);
        Node[] outputs = name switch
        {
            "alexnet width 1/64" => [AlexNet.Define(g, In(AlexNet.InputShape), 10, 1f / 64)],
            "alexnet-paper width 1/64" => [AlexNet.DefinePaper(g, In(AlexNet.PaperInputShape), 10, 1f / 64)],
            "zfnet width 1/64" => [ZFNet.Define(g, In(ZFNet.InputShape), 10, 1f / 64)],
            "vgg11-cifar width 1/32" => [Vgg.DefineCifar(g, In(cifar), VggConfig.A, width: 1f / 32)],
            "vgg C with batch norm width 1/64 at 32x32" =>
                [Vgg.Define(g, In(cifar), VggConfig.C, 10, batchNorm: true, width: 1f / 64)],
            "resnet18-cifar base 2" => [ResNet.ResNet18Cifar(g, In(cifar), baseChannels: 2)],
            "resnet50 base 2" => [ResNet.ResNet50(g, In(new Shape(3, 64, 64)), 10, baseChannels: 2)],
            "densenet blocks 2, 2 growth 4" => [DenseNet.Define(g, In(cifar), [2, 2], 10, growth: 4, initFeatures: 8)],
            "googlenet width 1/16 with aux heads" => Aux(GoogLeNet.DefineWithAuxHeads(g, In(GoogLeNet.InputShape), 10,
                1f / 16)),
            _ => throw new ArgumentException(name),
        };

        Assert.Equal(total, ModelSupport.TotalParameters(g, outputs));

        static Node[] Aux(GoogLeNetOutputs o) => [o.Logits, o.Aux1, o.Aux2];
    }

    [Fact]
    public void GroupedLayersOfANarrowedPaperAlexNetKeepEvenChannels()
    {
        // 96 / 64 = 1.5 channels, rounded to a multiple of the 2 groups: 2.
        var summary = ModelSupport.Summarise(AlexNet.PaperInputShape, (g, x) => AlexNet.DefinePaper(g, x,
            width: 1f / 64));

        Assert.Equal(2, summary.Row("conv1").OutputShape[0]);
        Assert.Equal(4, summary.Row("conv2").OutputShape[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelSupport.Summarise(AlexNet.InputShape,
            (g, x) => AlexNet.Define(g, x, width: 0f)));
    }
}
