using GpuCnn.Engine;

namespace GpuCnn.Models;

/// <summary>The configurations of Table 1 of Simonyan and Zisserman (2014).</summary>
public enum VggConfig
{
    /// <summary>11 weight layers: 1, 1, 2, 2, 2 convolutions per block (VGG-11).</summary>
    A,

    /// <summary>A with local response normalisation after the first convolution.</summary>
    ALrn,

    /// <summary>13 weight layers: 2, 2, 2, 2, 2 (VGG-13).</summary>
    B,

    /// <summary>16 weight layers: B with a 1x1 convolution third in each of the last three blocks.</summary>
    C,

    /// <summary>16 weight layers: 2, 2, 3, 3, 3 (VGG-16).</summary>
    D,

    /// <summary>19 weight layers: 2, 2, 4, 4, 4 (VGG-19).</summary>
    E,
}

/// <summary>
/// VGG networks: 3x3 convolutions with padding 1, each followed by ReLU (and batch norm before it when asked), in
/// five blocks of 64, 128, 256, 512 and 512 channels, each ending in a 2x2 stride-2 max pool. Node names equal
/// torchvision's state_dict names (<c>features.N</c> with torchvision's indices, <c>classifier.N</c>).
/// </summary>
public static class Vgg
{
    /// <summary>The paper's 224x224 crops.</summary>
    public static Shape InputShape { get; } = new(3, 224, 224);

    /// <summary>CIFAR-10's 32x32 colour images.</summary>
    public static Shape CifarInputShape { get; } = new(3, 32, 32);

    /// <summary>
    /// Configuration <paramref name="config"/> for ImageNet: the convolution blocks, then 4096, 4096 and
    /// <paramref name="classes"/> units with ReLU and dropout 0.5 (torchvision's order: Linear, ReLU, Dropout).
    /// At 224x224: A and A-LRN 132,863,336 parameters, B 133,047,848, C 133,638,952, D 138,357,544,
    /// E 143,667,240. torchvision's AdaptiveAvgPool2d((7, 7)) before the classifier is left out: it has no
    /// parameters and is the identity at 224x224, where the features are already 7x7.
    /// </summary>
    /// <param name="g">The graph to add to.</param>
    /// <param name="x">A (3, H, W) input.</param>
    /// <param name="config">The column of the paper's Table 1.</param>
    /// <param name="classes">Outputs of the last layer.</param>
    /// <param name="batchNorm">A BatchNorm2d after every convolution (torchvision's <c>vgg16_bn</c> etc.).</param>
    /// <param name="width">Multiplies every convolution's channels and the hidden layers' units (1: as published).
    /// </param>
    /// <param name="dropout">The classifier's dropout probability (0.5 as published; 0 turns it off).</param>
    public static Node Define(GraphBuilder g, Node x, VggConfig config, int classes = 1000, bool batchNorm = false,
        float width = 1f, float dropout = 0.5f)
    {
        var h = g.Flatten(Features(g, x, config, batchNorm, width), "flatten");
        var c = new Numbered("classifier");
        h = g.Dropout(g.Relu(g.Linear(h, Width.Scale(4096, width), name: c.Next()), c.Next()), dropout, c.Next());
        h = g.Dropout(g.Relu(g.Linear(h, Width.Scale(4096, width), name: c.Next()), c.Next()), dropout, c.Next());
        return g.Linear(h, classes, name: c.Next());
    }

    /// <summary>
    /// The common CIFAR-10 layout: the convolution blocks with batch norm on a 32x32 input, which the five pools
    /// take to 1x1x512, then one linear layer 512 to <paramref name="classes"/> named <c>classifier</c>
    /// (VGG-11 9,231,114 and VGG-16 14,728,266 parameters with 10 classes).
    /// </summary>
    /// <param name="g">The graph to add to.</param>
    /// <param name="x">A (3, 32, 32) input.</param>
    /// <param name="config">The column of the paper's Table 1.</param>
    /// <param name="classes">Outputs of the last layer.</param>
    /// <param name="width">Multiplies every convolution's channels (1: as published).</param>
    public static Node DefineCifar(GraphBuilder g, Node x, VggConfig config, int classes = 10, float width = 1f) =>
        g.Linear(g.Flatten(Features(g, x, config, batchNorm: true, width), "flatten"), classes, name: "classifier");

    /// <summary>The convolution blocks of <paramref name="config"/>, named <c>features.N</c>.</summary>
    private static Node Features(GraphBuilder g, Node x, VggConfig config, bool batchNorm, float width)
    {
        var f = new Numbered("features");
        var h = x;
        int[] channels = [64, 128, 256, 512, 512];
        for (var block = 0; block < 5; block++)
        {
            foreach (var kernel in Kernels(config, block))
            {
                h = g.Conv2d(h, Width.Scale(channels[block], width), kernel, padding: kernel / 2, name: f.Next());
                if (batchNorm)
                {
                    h = g.BatchNorm2d(h, name: f.Next());
                }

                h = g.Relu(h, f.Next());
                if (config == VggConfig.ALrn && block == 0)
                {
                    // The paper's LRN has AlexNet's constants.
                    h = AlexNet.Lrn(g, h, f.Next());
                }
            }

            h = g.MaxPool2d(h, 2, name: f.Next());
        }

        return h;
    }

    /// <summary>The kernel sizes of the convolutions in one block (1 for config C's 1x1 layers).</summary>
    private static int[] Kernels(VggConfig config, int block) => (config, block) switch
    {
        (VggConfig.A or VggConfig.ALrn, < 2) => [3],
        (VggConfig.A or VggConfig.ALrn, _) => [3, 3],
        (VggConfig.B, _) or (VggConfig.C or VggConfig.D or VggConfig.E, < 2) => [3, 3],
        (VggConfig.C, _) => [3, 3, 1],
        (VggConfig.D, _) => [3, 3, 3],
        (VggConfig.E, _) => [3, 3, 3, 3],
        _ => throw new ArgumentOutOfRangeException(nameof(config), config, "Unknown VGG configuration."),
    };
}
