using GpuCnn.Engine;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Models;

/// <summary>The feature-map sizes the papers give, from the shape-only summary.</summary>
public sealed class MapSizeTests
{
    [Fact]
    public void PaperAlexNetConv1Gives55x55x96With34944Parameters()
    {
        var summary = ModelZoo.Summary("alexnet-paper");
        var conv1 = summary.Row("conv1");

        Assert.Equal((3, 227, 227), Chw(summary.Rows[0].OutputShape));
        Assert.Equal("55x55x96", conv1.OutputShape.ToVolumeString()); // (227 - 11)/4 + 1 = 55
        Assert.Equal(34_944, conv1.Parameters); // (11*11*3)*96 weights + 96 biases
        Assert.Equal(96L * 55 * 55 * 11 * 11 * 3, conv1.MultiplyAdds);
    }

    [Fact]
    public void PaperAlexNetFollowsThePapersLayout()
    {
        var summary = ModelZoo.Summary("alexnet-paper");

        string[] order = ["conv1", "relu1", "norm1", "pool1", "conv2", "relu2", "norm2", "pool2"];
        Assert.Equal(order, summary.Rows.Select(r => r.Name).Skip(1).Take(order.Length));
        Assert.Equal("27x27x96", summary.Row("pool1").OutputShape.ToVolumeString()); // (55 - 3)/2 + 1
        Assert.Equal("27x27x256", summary.Row("conv2").OutputShape.ToVolumeString());
        Assert.Equal("13x13x256", summary.Row("pool2").OutputShape.ToVolumeString());
        Assert.Equal("13x13x384", summary.Row("conv3").OutputShape.ToVolumeString());
        Assert.Equal("13x13x384", summary.Row("conv4").OutputShape.ToVolumeString());
        Assert.Equal("13x13x256", summary.Row("conv5").OutputShape.ToVolumeString());
        Assert.Equal("6x6x256", summary.Row("pool5").OutputShape.ToVolumeString());
        Assert.Equal("n=5 a=0.0005 b=0.75 k=2", summary.Row("norm1").Details);
        // Two towers: conv2, conv4 and conv5 see half the channels, conv3 all of them.
        Assert.Equal(256L * 48 * 5 * 5 + 256, summary.Row("conv2").Parameters);
        Assert.Equal(384L * 256 * 3 * 3 + 384, summary.Row("conv3").Parameters);
        Assert.Equal(384L * 192 * 3 * 3 + 384, summary.Row("conv4").Parameters);
        Assert.Equal(256L * 192 * 3 * 3 + 256, summary.Row("conv5").Parameters);
        Assert.Equal("9216 -> 4096", summary.Row("fc6").Details); // 6 * 6 * 256 inputs
    }

    [Fact]
    public void TorchvisionAlexNetReaches6x6At224SoItsAdaptivePoolIsTheIdentity()
    {
        var summary = ModelZoo.Summary("alexnet");

        Assert.Equal("55x55x64", summary.Row("features.0").OutputShape.ToVolumeString()); // (224 + 4 - 11)/4 + 1
        Assert.Equal("6x6x256", summary.Row("features.12").OutputShape.ToVolumeString());
        Assert.Equal("9216 -> 4096", summary.Row("classifier.1").Details);
    }

    [Fact]
    public void ZFNetHasThePapersMapSizes()
    {
        var summary = ModelZoo.Summary("zfnet");

        Assert.Equal("110x110x96", summary.Row("conv1").OutputShape.ToVolumeString()); // (224 + 2 - 7)/2 + 1
        Assert.Equal("55x55x96", summary.Row("pool1").OutputShape.ToVolumeString()); // ceil((110 - 3)/2) + 1
        Assert.Equal("55x55x96", summary.Row("norm1").OutputShape.ToVolumeString());
        Assert.Equal("26x26x256", summary.Row("conv2").OutputShape.ToVolumeString()); // (55 - 5)/2 + 1
        Assert.Equal("13x13x256", summary.Row("pool2").OutputShape.ToVolumeString()); // ceil((26 - 3)/2) + 1
        Assert.Equal("13x13x384", summary.Row("conv3").OutputShape.ToVolumeString());
        Assert.Equal("13x13x384", summary.Row("conv4").OutputShape.ToVolumeString());
        Assert.Equal("13x13x256", summary.Row("conv5").OutputShape.ToVolumeString());
        Assert.Equal("6x6x256", summary.Row("pool5").OutputShape.ToVolumeString());
        Assert.Equal(new Shape(4096), summary.Row("fc6").OutputShape);
        Assert.Equal(new Shape(4096), summary.Row("fc7").OutputShape);
        Assert.Equal(96L * 3 * 7 * 7 + 96, summary.Row("conv1").Parameters);
    }

    [Fact]
    public void GoogLeNetHasThePapersMapSizes()
    {
        var summary = ModelZoo.Summary("googlenet");
        (string Node, int C, int Side)[] table =
        [
            ("conv1.conv", 64, 112), ("maxpool1", 64, 56), ("conv2.conv", 64, 56), ("conv3.conv", 192, 56),
            ("maxpool2", 192, 28), ("inception3a", 256, 28), ("inception3b", 480, 28), ("maxpool3", 480, 14),
            ("inception4a", 512, 14), ("inception4b", 512, 14), ("inception4c", 512, 14), ("inception4d", 528, 14),
            ("inception4e", 832, 14), ("maxpool4", 832, 7), ("inception5a", 832, 7), ("inception5b", 1024, 7),
            ("avgpool", 1024, 1),
        ];

        foreach (var (node, c, side) in table)
        {
            Assert.Equal((node, c, side, side), (node, summary.Row(node).OutputShape[0],
                summary.Row(node).OutputShape[1], summary.Row(node).OutputShape[2]));
        }

        // Each module's branches: 1x1, 3x3, "5x5" and pool projection widths, concatenated in that order.
        Assert.Equal([64, 128, 32, 32], BranchWidths(summary, "inception3a"));
        Assert.Equal([384, 384, 128, 128], BranchWidths(summary, "inception5b"));
    }

    [Fact]
    public void GoogLeNetAuxHeadsPoolTheirInputsTo4x4()
    {
        var g = new GraphBuilder();
        var outputs = GoogLeNet.DefineWithAuxHeads(g, g.Input(GoogLeNet.InputShape));
        var aux1 = ModelSummary.Of(g, outputs.Aux1);
        var aux2 = ModelSummary.Of(g, outputs.Aux2);

        Assert.Equal(new Shape(512, 4, 4), aux1.Row("aux1.pool").OutputShape); // (14 - 5)/3 + 1
        Assert.Equal(new Shape(528, 4, 4), aux2.Row("aux2.pool").OutputShape);
        Assert.Equal("2048 -> 1024", aux1.Row("aux1.fc1").Details);
        Assert.Equal(new Shape(1000), aux2.Row("aux2.fc2").OutputShape);
    }

    [Fact]
    public void GoogLeNetAuxHeadsNeedAnInputOfAtLeast79Pixels()
    {
        // 79 -> conv1 40 -> 20 -> 10 -> 5 at inception4a, just enough for the heads' 5x5 pool; 78 gives 4.
        var g = new GraphBuilder();
        var fits = GoogLeNet.DefineWithAuxHeads(g, g.Input(new Shape(3, 79, 79)), width: 1f / 16);
        var h = new GraphBuilder();
        var small = GoogLeNet.DefineWithAuxHeads(h, h.Input(new Shape(3, 78, 78)), width: 1f / 16);

        Assert.Equal(new Shape(32, 1, 1), ModelSummary.Of(g, fits.Aux1).Row("aux1.pool").OutputShape);
        var e = Assert.Throws<GraphException>(() => ModelSummary.Of(h, small.Aux1));
        Assert.Contains("aux1.pool", e.Message);
        Assert.Equal(new Shape(1000), ModelSummary.Of(h, small.Logits).Rows[^1].OutputShape);
    }

    [Theory]
    [InlineData("resnet18", 1, 56, "512 -> 1000")]
    [InlineData("resnet34", 1, 56, "512 -> 1000")]
    [InlineData("resnet50", 4, 56, "2048 -> 1000")]
    [InlineData("resnet18-cifar", 1, 32, "512 -> 10")]
    public void ResNetStagesHalveTheMapAndDoubleTheWidth(string model, int expansion, int side, string head)
    {
        var summary = ModelZoo.Summary(model);
        int[] blocks = model.StartsWith("resnet18", StringComparison.Ordinal) ? [2, 2, 2, 2] : [3, 4, 6, 3];

        for (var stage = 0; stage < 4; stage++)
        {
            var last = summary.Row($"layer{stage + 1}.{blocks[stage] - 1}.relu").OutputShape;
            Assert.Equal(new Shape((64 << stage) * expansion, side >> stage, side >> stage), last);
        }

        Assert.Equal(head, summary.Row("fc").Details);
        Assert.Equal(model.EndsWith("cifar", StringComparison.Ordinal) ? 0 : 1, summary.Rows.Count(r =>
            r.Kind == "MaxPool2d"));
    }

    [Fact]
    public void ResNetProjectsTheShortcutOnlyWhereTheShapeChanges()
    {
        var resnet18 = ModelZoo.Summary("resnet18");
        var resnet50 = ModelZoo.Summary("resnet50");

        string[] expected18 = ["layer2.0.downsample.0", "layer3.0.downsample.0", "layer4.0.downsample.0"];
        Assert.Equal(expected18, resnet18.Rows.Where(r => r.Name.EndsWith("downsample.0", StringComparison.Ordinal))
            .Select(r => r.Name));
        Assert.Equal("128 1x1/2 pad 0", resnet18.Row("layer2.0.downsample.0").Details);
        // A bottleneck's first block widens 64 to 256 at stride 1: projected although the map keeps its size.
        Assert.Equal("256 1x1/1 pad 0", resnet50.Row("layer1.0.downsample.0").Details);
        Assert.Equal(4, resnet50.Rows.Count(r => r.Name.EndsWith("downsample.0", StringComparison.Ordinal)));
        Assert.Equal("128 3x3/2 pad 1", resnet50.Row("layer2.0.conv2").Details); // the stride on the 3x3 (v1.5)
    }

    [Fact]
    public void DenseNet121BlocksGrowBy32AndTransitionsHalve()
    {
        var summary = ModelZoo.Summary("densenet121");
        (string Node, int C, int Side)[] table =
        [
            ("features.pool0", 64, 56), ("features.denseblock1.denselayer6.concat", 64 + 6 * 32, 56),
            ("features.transition1.pool", 128, 28), ("features.denseblock2.denselayer12.concat", 128 + 12 * 32, 28),
            ("features.transition2.pool", 256, 14), ("features.denseblock3.denselayer24.concat", 256 + 24 * 32, 14),
            ("features.transition3.pool", 512, 7), ("features.denseblock4.denselayer16.concat", 512 + 16 * 32, 7),
        ];

        foreach (var (node, c, side) in table)
        {
            Assert.Equal(new Shape(c, side, side), summary.Row(node).OutputShape);
        }

        Assert.Equal("128 1x1/1 pad 0", summary.Row("features.denseblock3.denselayer5.conv1").Details);
        Assert.Equal("32 3x3/1 pad 1", summary.Row("features.denseblock3.denselayer5.conv2").Details);
    }

    [Theory]
    [InlineData("vgg11-cifar", 8)]
    [InlineData("vgg16-cifar", 13)]
    public void CifarVggEndsIn1x1x512AndOneLinearLayer(string model, int convolutions)
    {
        var summary = ModelZoo.Summary(model);

        Assert.Equal(new Shape(3, 32, 32), summary.Rows[0].OutputShape);
        Assert.Equal(convolutions, summary.Rows.Count(r => r.Kind == "Conv2d"));
        Assert.Equal(convolutions, summary.Rows.Count(r => r.Kind == "BatchNorm2d"));
        Assert.Equal(new Shape(512), summary.Row("flatten").OutputShape);
        Assert.Equal("512 -> 10", summary.Rows.Single(r => r.Kind == "Linear").Details);
    }

    [Fact]
    public void VggCUsesOneByOneConvolutionsThirdInTheLastThreeBlocks()
    {
        var summary = ModelZoo.Summary("vgg13c");
        var kernels = summary.Rows.Where(r => r.Kind == "Conv2d").Select(r => r.Details.Split(' ', '/')[1]).ToList();

        Assert.Equal(["3x3", "3x3", "3x3", "3x3", "3x3", "3x3", "1x1", "3x3", "3x3", "1x1", "3x3", "3x3", "1x1"],
            kernels);
        Assert.Equal(new Shape(512, 7, 7), summary.Rows.Last(r => r.Kind == "MaxPool2d").OutputShape);
    }

    [Fact]
    public void VggALrnNormalisesAfterTheFirstConvolutionOnly()
    {
        var summary = ModelZoo.Summary("vgg11-lrn");

        Assert.Equal(["features.0", "features.1", "features.2", "features.3"], summary.Rows.Skip(1).Take(4)
            .Select(r => r.Name));
        Assert.Equal(["Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d"], summary.Rows.Skip(1).Take(4)
            .Select(r => r.Kind));
        Assert.Single(summary.Rows, r => r.Kind == "LocalResponseNorm");
    }

    private static (int, int, int) Chw(Shape s) => (s[0], s[1], s[2]);

    private static int[] BranchWidths(ModelSummary summary, string module) =>
    [
        summary.Row($"{module}.branch1.conv").OutputShape[0], summary.Row($"{module}.branch2.1.conv").OutputShape[0],
        summary.Row($"{module}.branch3.1.conv").OutputShape[0], summary.Row($"{module}.branch4.1.conv").OutputShape[0],
    ];
}
