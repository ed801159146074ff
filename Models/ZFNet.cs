using GpuCnn.Engine;

namespace GpuCnn.Models;

/// <summary>
/// ZFNet (Zeiler and Fergus, 2013, their Fig. 3): AlexNet with a 7x7 stride-2 first layer and a stride-2 second
/// layer, on one GPU (no groups). Map sizes at 224x224: conv1 110x110x96, pool 55, conv2 26x26x256, pool 13,
/// conv3-5 13x13, pool 6x6x256, fc6 and fc7 4096 — 62,357,608 parameters with 1000 classes.
/// </summary>
public static class ZFNet
{
    /// <summary>The paper's 224x224 crops.</summary>
    public static Shape InputShape { get; } = new(3, 224, 224);

    /// <summary>
    /// conv1 96 7x7/2 pad 1, ReLU, max pool 3x3/2, normalisation across feature maps; conv2 256 5x5/2, ReLU, pool,
    /// normalisation; conv3 384, conv4 384, conv5 256 3x3 pad 1 with ReLU; pool; fc6, fc7 4096 with ReLU and dropout
    /// 0.5; fc8 <paramref name="classes"/>. The pools use ceil mode, which gives the paper's 55 and 13 (floor mode
    /// would give 54 and 12). The paper does not give its normalisation's constants; AlexNet's are used (see
    /// <see cref="AlexNet.DefinePaper"/>). Nodes are named as in AlexNet's Caffe model (conv1, relu1, pool1, norm1,
    /// ..., fc8).
    /// </summary>
    /// <param name="g">The graph to add to.</param>
    /// <param name="x">A (3, H, W) input.</param>
    /// <param name="classes">Outputs of the last layer.</param>
    /// <param name="width">Multiplies every convolution's channels and the hidden layers' units (1: as published).
    /// </param>
    /// <param name="wideMiddle">conv3, conv4 and conv5 with 512, 1024 and 512 filters, the larger variant the
    /// paper also evaluates and lecture slides often call ZFNet (107,627,624 parameters), instead of 384, 384
    /// and 256.</param>
    /// <param name="dropout">The classifier's dropout probability (0.5 as published; 0 turns it off).</param>
    public static Node Define(GraphBuilder g, Node x, int classes = 1000, float width = 1f, bool wideMiddle = false,
        float dropout = 0.5f)
    {
        int C(int channels) => Width.Scale(channels, width);
        var h = g.MaxPool2d(g.Relu(g.Conv2d(x, C(96), 7, 2, 1, name: "conv1"), "relu1"), 3, 2, name: "pool1",
            ceilMode: true);
        h = AlexNet.Lrn(g, h, "norm1");
        h = g.MaxPool2d(g.Relu(g.Conv2d(h, C(256), 5, 2, name: "conv2"), "relu2"), 3, 2, name: "pool2",
            ceilMode: true);
        h = AlexNet.Lrn(g, h, "norm2");
        h = g.Relu(g.Conv2d(h, C(wideMiddle ? 512 : 384), 3, padding: 1, name: "conv3"), "relu3");
        h = g.Relu(g.Conv2d(h, C(wideMiddle ? 1024 : 384), 3, padding: 1, name: "conv4"), "relu4");
        h = g.Relu(g.Conv2d(h, C(wideMiddle ? 512 : 256), 3, padding: 1, name: "conv5"), "relu5");
        h = g.Flatten(g.MaxPool2d(h, 3, 2, name: "pool5", ceilMode: true), "flatten");
        h = g.Dropout(g.Relu(g.Linear(h, C(4096), name: "fc6"), "relu6"), dropout, "drop6");
        h = g.Dropout(g.Relu(g.Linear(h, C(4096), name: "fc7"), "relu7"), dropout, "drop7");
        return g.Linear(h, classes, name: "fc8");
    }
}
