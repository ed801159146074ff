using GpuCnn.Engine;

namespace GpuCnn.Models;

/// <summary>The outputs of a GoogLeNet with its auxiliary classifiers: the main logits and the two side heads
/// (after inception4a and inception4d) whose losses the paper adds, weighted 0.3, during training.</summary>
/// <param name="Logits">The main classifier, <c>fc</c>.</param>
/// <param name="Aux1">The head on inception4a, <c>aux1.fc2</c>.</param>
/// <param name="Aux2">The head on inception4d, <c>aux2.fc2</c>.</param>
public sealed record GoogLeNetOutputs(Node Logits, Node Aux1, Node Aux2);

/// <summary>
/// GoogLeNet (Inception v1; Szegedy et al., 2014) as torchvision builds it: every convolution a "BasicConv2d"
/// (convolution without bias, BatchNorm2d with eps 0.001, ReLU), 3x3 convolutions in the "5x5" branch (a known
/// departure from the paper that torchvision's weights were trained with), max pools in ceil mode. 6,624,904
/// parameters without the auxiliary heads, 13,004,888 with them. Node names equal torchvision's state_dict names:
/// <c>conv1.conv</c>, <c>conv1.bn</c>, <c>inception3a.branch1.conv</c>, <c>inception3a.branch2.0.conv</c>, ...,
/// <c>inception3a.branch4.1.conv</c>, <c>aux1.conv.conv</c>, <c>aux1.fc1</c>, <c>aux1.fc2</c>, <c>fc</c>; a
/// module's concatenation is the node named after it (<c>inception3a</c>). torchvision's optional input
/// transform (<c>transform_input</c>) is not part of the graph.
/// </summary>
public static class GoogLeNet
{
    /// <summary>The paper's 224x224 crops.</summary>
    public static Shape InputShape { get; } = new(3, 224, 224);

    // Per module: in-channel-independent widths (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection).
    private static readonly (string Name, int[] Widths)[] Modules =
    [
        ("inception3a", [64, 96, 128, 16, 32, 32]),
        ("inception3b", [128, 128, 192, 32, 96, 64]),
        ("inception4a", [192, 96, 208, 16, 48, 64]),
        ("inception4b", [160, 112, 224, 24, 64, 64]),
        ("inception4c", [128, 128, 256, 24, 64, 64]),
        ("inception4d", [112, 144, 288, 32, 64, 64]),
        ("inception4e", [256, 160, 320, 32, 128, 128]),
        ("inception5a", [256, 160, 320, 32, 128, 128]),
        ("inception5b", [384, 192, 384, 48, 128, 128]),
    ];

    /// <summary>
    /// The network without auxiliary heads (what torchvision runs at inference): conv1 7x7/2, max pool 3x3/2,
    /// conv2 1x1, conv3 192 3x3, max pool, inception 3a and 3b, max pool, 4a to 4e, max pool 2x2/2, 5a and 5b,
    /// global average pool <c>avgpool</c> (torchvision's AdaptiveAvgPool2d(1)), dropout 0.2, <c>fc</c>. At 224x224
    /// the maps are 112, 56, 28, 14 and 7 pixels wide.
    /// </summary>
    /// <param name="g">The graph to add to.</param>
    /// <param name="x">A (3, H, W) input.</param>
    /// <param name="classes">Outputs of the last layer.</param>
    /// <param name="width">Multiplies every convolution's channels (1: as published).</param>
    /// <param name="paperBranch3">5x5 convolutions (pad 2) in the third branch, as the paper has them (7,005,832
    /// parameters); torchvision's weights need the default 3x3.</param>
    /// <param name="dropout">The classifier's dropout probability (0.2 as in torchvision; 0 turns it off).</param>
    public static Node Define(GraphBuilder g, Node x, int classes = 1000, float width = 1f,
        bool paperBranch3 = false, float dropout = 0.2f) =>
        Build(g, x, classes, width, paperBranch3, auxHeads: false, dropout).Logits;

    /// <summary>
    /// The network with the two auxiliary classifiers used in training, each: average pool 5x5/3 (14x14 to 4x4),
    /// BasicConv2d 128 1x1, flatten, fc1 1024, ReLU, dropout 0.7, fc2 <paramref name="classes"/>. torchvision pools
    /// with adaptive_avg_pool2d to 4x4, whose windows at 14x14 are 4 wide and overlap unevenly; the paper's 5x5/3
    /// pool gives the same 4x4 shape and parameters, so torchvision's weights load, but the heads' outputs differ
    /// slightly. The heads are separate outputs: a graph built for <see cref="GoogLeNetOutputs.Logits"/> alone
    /// leaves them out.
    /// </summary>
    /// <param name="g">The graph to add to.</param>
    /// <param name="x">A (3, H, W) input, at least 79x79 so that the heads' 5x5 pools fit.</param>
    /// <param name="classes">Outputs of every classifier.</param>
    /// <param name="width">Multiplies every convolution's channels and the heads' 1024 units (1: as published).
    /// </param>
    /// <param name="paperBranch3">5x5 convolutions in the third branch, as in the paper.</param>
    public static GoogLeNetOutputs DefineWithAuxHeads(GraphBuilder g, Node x, int classes = 1000, float width = 1f,
        bool paperBranch3 = false) => Build(g, x, classes, width, paperBranch3, auxHeads: true);

    private static GoogLeNetOutputs Build(GraphBuilder g, Node x, int classes, float width, bool paperBranch3,
        bool auxHeads, float dropout = 0.2f)
    {
        int C(int channels) => Width.Scale(channels, width);
        var h = BasicConv(g, x, C(64), 7, 2, 3, "conv1");
        h = g.MaxPool2d(h, 3, 2, name: "maxpool1", ceilMode: true);
        h = BasicConv(g, h, C(64), 1, 1, 0, "conv2");
        h = BasicConv(g, h, C(192), 3, 1, 1, "conv3");
        h = g.MaxPool2d(h, 3, 2, name: "maxpool2", ceilMode: true);
        Node? aux1 = null, aux2 = null;
        foreach (var (name, widths) in Modules)
        {
            h = name switch
            {
                "inception4a" => g.MaxPool2d(h, 3, 2, name: "maxpool3", ceilMode: true),
                "inception5a" => g.MaxPool2d(h, 2, 2, name: "maxpool4", ceilMode: true),
                _ => h,
            };
            h = Inception(g, h, [.. widths.Select(C)], paperBranch3, name);
            if (auxHeads && name == "inception4a")
            {
                aux1 = AuxHead(g, h, classes, width, "aux1");
            }
            else if (auxHeads && name == "inception4d")
            {
                aux2 = AuxHead(g, h, classes, width, "aux2");
            }
        }

        h = g.Flatten(g.GlobalAvgPool2d(h, "avgpool"), "flatten");
        var logits = g.Linear(g.Dropout(h, dropout, "dropout"), classes, name: "fc");
        return new GoogLeNetOutputs(logits, aux1!, aux2!);
    }

    // Four branches concatenated: 1x1; 1x1 then 3x3; 1x1 then 3x3 (or 5x5); max pool 3x3/1 then 1x1.
    private static Node Inception(GraphBuilder g, Node x, int[] w, bool paperBranch3, string name)
    {
        var b1 = BasicConv(g, x, w[0], 1, 1, 0, $"{name}.branch1");
        var b2 = BasicConv(g, BasicConv(g, x, w[1], 1, 1, 0, $"{name}.branch2.0"), w[2], 3, 1, 1, $"{name}.branch2.1");
        var k3 = paperBranch3 ? 5 : 3;
        var b3 = BasicConv(g, BasicConv(g, x, w[3], 1, 1, 0, $"{name}.branch3.0"), w[4], k3, 1, k3 / 2,
            $"{name}.branch3.1");
        var pool = g.MaxPool2d(x, 3, 1, 1, $"{name}.branch4.0", ceilMode: true);
        var b4 = BasicConv(g, pool, w[5], 1, 1, 0, $"{name}.branch4.1");
        return g.Concat([b1, b2, b3, b4], name);
    }

    private static Node AuxHead(GraphBuilder g, Node x, int classes, float width, string name)
    {
        var h = g.AvgPool2d(x, 5, 3, name: $"{name}.pool");
        h = g.Flatten(BasicConv(g, h, Width.Scale(128, width), 1, 1, 0, $"{name}.conv"), $"{name}.flatten");
        h = g.Relu(g.Linear(h, Width.Scale(1024, width), name: $"{name}.fc1"), $"{name}.relu");
        return g.Linear(g.Dropout(h, 0.7f, $"{name}.dropout"), classes, name: $"{name}.fc2");
    }

    // torchvision's BasicConv2d: {name}.conv (no bias), {name}.bn (eps 0.001), ReLU.
    private static Node BasicConv(GraphBuilder g, Node x, int channels, int kernel, int stride, int padding,
        string name)
    {
        var h = g.Conv2d(x, channels, kernel, stride, padding, bias: false, name: $"{name}.conv");
        return g.Relu(g.BatchNorm2d(h, eps: 1e-3f, name: $"{name}.bn"), $"{name}.relu");
    }
}
