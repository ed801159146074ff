using GpuCnn.Engine;

namespace GpuCnn.Models;

/// <summary>
/// Densely connected networks (Huang, Liu, van der Maaten and Weinberger, 2017), DenseNet-BC as torchvision builds
/// them: within a dense block every layer (BN, ReLU, 1x1 convolution to <c>bnSize * growth</c> channels, BN, ReLU,
/// 3x3 convolution to <c>growth</c> channels, no biases) reads the concatenation of the block's input and all
/// earlier layers' outputs; transitions (BN, ReLU, 1x1 convolution compressing the channels, 2x2 average pool)
/// join the blocks. Node names equal torchvision's state_dict names: <c>features.conv0</c>,
/// <c>features.norm0</c>, <c>features.denseblock1.denselayer1.norm1</c> / <c>conv1</c> / <c>norm2</c> /
/// <c>conv2</c>, <c>features.transition1.norm</c> / <c>conv</c>, <c>features.norm5</c>, <c>classifier</c>.
/// </summary>
public static class DenseNet
{
    /// <summary>ImageNet's 224x224 crops.</summary>
    public static Shape InputShape { get; } = new(3, 224, 224);

    /// <summary>DenseNet-121: growth 32, blocks of 6, 12, 24 and 16 layers, 64 initial features, bottleneck
    /// factor 4, compression 0.5 (7,978,856 parameters).</summary>
    /// <param name="g">The graph to add to.</param>
    /// <param name="x">A (3, H, W) input.</param>
    /// <param name="classes">Outputs of the classifier.</param>
    /// <param name="growth">Channels each dense layer adds (32 as published; small values make small networks).
    /// </param>
    /// <param name="initFeatures">Channels of the stem convolution (64 as published).</param>
    public static Node DenseNet121(GraphBuilder g, Node x, int classes = 1000, int growth = 32,
        int initFeatures = 64) => Define(g, x, [6, 12, 24, 16], classes, growth, initFeatures);

    /// <summary>
    /// A DenseNet with <paramref name="blocks"/> layers per dense block: stem <c>features.conv0</c> 7x7/2 pad 3,
    /// <c>norm0</c>, <c>relu0</c>, <c>pool0</c> (max 3x3/2 pad 1); dense blocks with transitions between them;
    /// <c>features.norm5</c>, ReLU, global average pool (torchvision's adaptive_avg_pool2d to 1x1), flatten and the
    /// linear <c>classifier</c>.
    /// </summary>
    /// <param name="g">The graph to add to.</param>
    /// <param name="x">A (3, H, W) input.</param>
    /// <param name="blocks">Layers per dense block.</param>
    /// <param name="classes">Outputs of the classifier.</param>
    /// <param name="growth">Channels each dense layer adds.</param>
    /// <param name="initFeatures">Channels of the stem convolution.</param>
    /// <param name="bnSize">The bottleneck's width in multiples of <paramref name="growth"/>.</param>
    /// <param name="compression">The fraction of channels a transition keeps (rounded down).</param>
    public static Node Define(GraphBuilder g, Node x, IReadOnlyList<int> blocks, int classes = 1000, int growth = 32,
        int initFeatures = 64, int bnSize = 4, float compression = 0.5f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(growth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(initFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bnSize, 1);
        if (!(compression is > 0f and <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(compression), compression, "Compression must be in (0, 1].");
        }

        if (blocks.Count == 0 || blocks.Any(b => b < 1))
        {
            throw new ArgumentException($"A DenseNet needs at least one block and a layer in each, got " +
                $"[{string.Join(", ", blocks)}].", nameof(blocks));
        }

        var h = g.Conv2d(x, initFeatures, 7, 2, 3, bias: false, name: "features.conv0");
        h = g.Relu(g.BatchNorm2d(h, name: "features.norm0"), "features.relu0");
        h = g.MaxPool2d(h, 3, 2, 1, "features.pool0");
        var channels = initFeatures;
        for (var b = 0; b < blocks.Count; b++)
        {
            for (var l = 0; l < blocks[b]; l++)
            {
                var name = $"features.denseblock{b + 1}.denselayer{l + 1}";
                var y = g.Relu(g.BatchNorm2d(h, name: $"{name}.norm1"), $"{name}.relu1");
                y = g.Conv2d(y, bnSize * growth, 1, bias: false, name: $"{name}.conv1");
                y = g.Relu(g.BatchNorm2d(y, name: $"{name}.norm2"), $"{name}.relu2");
                y = g.Conv2d(y, growth, 3, 1, 1, bias: false, name: $"{name}.conv2");
                // The block's features so far, then this layer's: what every later layer (and the block) reads.
                h = g.Concat([h, y], $"{name}.concat");
                channels += growth;
            }

            if (b < blocks.Count - 1)
            {
                var name = $"features.transition{b + 1}";
                channels = Math.Max(1, (int)(channels * compression));
                h = g.Relu(g.BatchNorm2d(h, name: $"{name}.norm"), $"{name}.relu");
                h = g.Conv2d(h, channels, 1, bias: false, name: $"{name}.conv");
                h = g.AvgPool2d(h, 2, 2, name: $"{name}.pool");
            }
        }

        h = g.Relu(g.BatchNorm2d(h, name: "features.norm5"), "relu");
        h = g.Flatten(g.GlobalAvgPool2d(h, "avgpool"), "flatten");
        return g.Linear(h, classes, name: "classifier");
    }
}
