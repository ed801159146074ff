using GpuCnn.Engine;

namespace GpuCnn.Models;

/// <summary>The residual block of a ResNet stage.</summary>
public enum ResNetBlock
{
    /// <summary>Two 3x3 convolutions (ResNet-18 and -34); expansion 1.</summary>
    Basic,

    /// <summary>1x1 reduce, 3x3, 1x1 expand to four times the width (ResNet-50 and deeper); expansion 4.</summary>
    Bottleneck,
}

/// <summary>
/// Residual networks (He, Zhang, Ren and Sun, 2015) as torchvision builds them: every convolution without bias and
/// followed by batch norm, projection shortcuts (1x1 convolution with the block's stride, then batch norm) where
/// the shape changes and identity shortcuts elsewhere, the stride of a bottleneck on its 3x3 convolution
/// (torchvision's "v1.5"; the paper put it on the first 1x1, which changes no parameter count). Node names equal
/// torchvision's state_dict names: <c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, <c>layer1.0.bn1</c>,
/// <c>layer2.0.downsample.0</c> and <c>.1</c>, <c>fc</c>.
/// </summary>
public static class ResNet
{
    /// <summary>ImageNet's 224x224 crops.</summary>
    public static Shape InputShape { get; } = new(3, 224, 224);

    /// <summary>CIFAR-10's 32x32 colour images.</summary>
    public static Shape CifarInputShape { get; } = new(3, 32, 32);

    /// <summary>ResNet-18: basic blocks 2, 2, 2, 2 (11,689,512 parameters).</summary>
    public static Node ResNet18(GraphBuilder g, Node x, int classes = 1000, int baseChannels = 64) =>
        Define(g, x, ResNetBlock.Basic, [2, 2, 2, 2], classes, baseChannels);

    /// <summary>ResNet-34: basic blocks 3, 4, 6, 3 (21,797,672 parameters).</summary>
    public static Node ResNet34(GraphBuilder g, Node x, int classes = 1000, int baseChannels = 64) =>
        Define(g, x, ResNetBlock.Basic, [3, 4, 6, 3], classes, baseChannels);

    /// <summary>ResNet-50: bottlenecks 3, 4, 6, 3 (25,557,032 parameters).</summary>
    public static Node ResNet50(GraphBuilder g, Node x, int classes = 1000, int baseChannels = 64) =>
        Define(g, x, ResNetBlock.Bottleneck, [3, 4, 6, 3], classes, baseChannels);

    /// <summary>ResNet-101: bottlenecks 3, 4, 23, 3 (44,549,160 parameters).</summary>
    public static Node ResNet101(GraphBuilder g, Node x, int classes = 1000, int baseChannels = 64) =>
        Define(g, x, ResNetBlock.Bottleneck, [3, 4, 23, 3], classes, baseChannels);

    /// <summary>ResNet-152: bottlenecks 3, 8, 36, 3 (60,192,808 parameters).</summary>
    public static Node ResNet152(GraphBuilder g, Node x, int classes = 1000, int baseChannels = 64) =>
        Define(g, x, ResNetBlock.Bottleneck, [3, 8, 36, 3], classes, baseChannels);

    /// <summary>
    /// ResNet-18 for CIFAR-10 as it is commonly trained: the stem is one 3x3 stride-1 convolution (64 channels)
    /// with batch norm and ReLU and no max pool, so the stages run at 32, 16, 8 and 4 pixels with 64, 128, 256 and
    /// 512 channels (11,173,962 parameters with 10 classes). Names as in torchvision's ResNet.
    /// </summary>
    public static Node ResNet18Cifar(GraphBuilder g, Node x, int classes = 10, int baseChannels = 64) =>
        Define(g, x, ResNetBlock.Basic, [2, 2, 2, 2], classes, baseChannels, cifarStem: true);

    /// <summary>
    /// A ResNet with <paramref name="blocks"/> blocks per stage: stem conv1 7x7/2 pad 3, bn1, ReLU, max pool 3x3/2
    /// pad 1 (or, with <paramref name="cifarStem"/>, conv1 3x3/1 pad 1, bn1, ReLU); stages <c>layer1</c>, ... of
    /// width <paramref name="baseChannels"/> times 1, 2, 4, 8 (times 4 at a bottleneck's output), the first stage
    /// at stride 1 and the others starting with stride 2; global average pool <c>avgpool</c>, flatten, and
    /// <c>fc</c> to <paramref name="classes"/>.
    /// </summary>
    /// <param name="g">The graph to add to.</param>
    /// <param name="x">A (3, H, W) input.</param>
    /// <param name="block">Basic block or bottleneck.</param>
    /// <param name="blocks">Blocks per stage.</param>
    /// <param name="classes">Outputs of the last layer.</param>
    /// <param name="baseChannels">The first stage's width (64 as published; small values make small networks).
    /// </param>
    /// <param name="cifarStem">The 3x3 stride-1 stem without max pool used for 32x32 inputs.</param>
    public static Node Define(GraphBuilder g, Node x, ResNetBlock block, IReadOnlyList<int> blocks,
        int classes = 1000, int baseChannels = 64, bool cifarStem = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(baseChannels, 1);
        if (blocks.Count == 0 || blocks.Any(b => b < 1))
        {
            throw new ArgumentException($"A ResNet needs at least one stage and a block in each, got " +
                $"[{string.Join(", ", blocks)}].", nameof(blocks));
        }

        var h = cifarStem
            ? g.Conv2d(x, baseChannels, 3, 1, 1, bias: false, name: "conv1")
            : g.Conv2d(x, baseChannels, 7, 2, 3, bias: false, name: "conv1");
        h = g.Relu(g.BatchNorm2d(h, name: "bn1"), "relu");
        if (!cifarStem)
        {
            h = g.MaxPool2d(h, 3, 2, 1, "maxpool");
        }

        var channels = baseChannels;
        for (var stage = 0; stage < blocks.Count; stage++)
        {
            var planes = baseChannels << stage;
            for (var i = 0; i < blocks[stage]; i++)
            {
                var stride = stage > 0 && i == 0 ? 2 : 1;
                var name = $"layer{stage + 1}.{i}";
                h = block == ResNetBlock.Basic
                    ? Basic(g, h, channels, planes, stride, name)
                    : Bottleneck(g, h, channels, planes, stride, name);
                channels = block == ResNetBlock.Basic ? planes : planes * 4;
            }
        }

        h = g.Flatten(g.GlobalAvgPool2d(h, "avgpool"), "flatten");
        return g.Linear(h, classes, name: "fc");
    }

    // x:(in, H, W) -> (planes, H/stride, W/stride): relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
    private static Node Basic(GraphBuilder g, Node x, int inChannels, int planes, int stride, string name)
    {
        var h = g.Conv2d(x, planes, 3, stride, 1, bias: false, name: $"{name}.conv1");
        h = g.Relu(g.BatchNorm2d(h, name: $"{name}.bn1"), $"{name}.relu1");
        h = g.BatchNorm2d(g.Conv2d(h, planes, 3, 1, 1, bias: false, name: $"{name}.conv2"), name: $"{name}.bn2");
        return Join(g, h, x, inChannels, planes, stride, name);
    }

    // x:(in, H, W) -> (4 planes, H/stride, W/stride): 1x1 reduce, 3x3 with the stride, 1x1 expand, plus shortcut.
    private static Node Bottleneck(GraphBuilder g, Node x, int inChannels, int planes, int stride, string name)
    {
        var h = g.Conv2d(x, planes, 1, bias: false, name: $"{name}.conv1");
        h = g.Relu(g.BatchNorm2d(h, name: $"{name}.bn1"), $"{name}.relu1");
        h = g.Conv2d(h, planes, 3, stride, 1, bias: false, name: $"{name}.conv2");
        h = g.Relu(g.BatchNorm2d(h, name: $"{name}.bn2"), $"{name}.relu2");
        h = g.BatchNorm2d(g.Conv2d(h, planes * 4, 1, bias: false, name: $"{name}.conv3"), name: $"{name}.bn3");
        return Join(g, h, x, inChannels, planes * 4, stride, name);
    }

    // The residual sum and its ReLU; a projection shortcut where the stride or the channel count changes.
    private static Node Join(GraphBuilder g, Node residual, Node x, int inChannels, int outChannels, int stride,
        string name)
    {
        var shortcut = x;
        if (stride != 1 || inChannels != outChannels)
        {
            shortcut = g.Conv2d(x, outChannels, 1, stride, bias: false, name: $"{name}.downsample.0");
            shortcut = g.BatchNorm2d(shortcut, name: $"{name}.downsample.1");
        }

        return g.Relu(g.Add(residual, shortcut, $"{name}.add"), $"{name}.relu");
    }
}
