using GpuCnn.Engine;

namespace GpuCnn.Models;

/// <summary>
/// AlexNet (Krizhevsky, Sutskever and Hinton, 2012) in two forms: the single-tower network torchvision ships
/// (<see cref="Define"/>, 61,100,840 parameters at 224x224, node names equal to its state_dict's) and the paper's
/// two-GPU network (<see cref="DefinePaper"/>, 60,965,224 parameters at 227x227, with local response normalisation
/// and grouped convolutions).
/// </summary>
public static class AlexNet
{
    /// <summary>The input torchvision's AlexNet is trained on.</summary>
    public static Shape InputShape { get; } = new(3, 224, 224);

    /// <summary>The input at which the paper's layer sizes work out: (227 - 11)/4 + 1 = 55.</summary>
    public static Shape PaperInputShape { get; } = new(3, 227, 227);

    /// <summary>
    /// torchvision's AlexNet: conv 64 11x11/4 pad 2, 192 5x5 pad 2, 384, 256, 256 3x3 pad 1, each followed by
    /// ReLU, max pools 3x3/2 after the first, second and fifth; then dropout 0.5, 4096, dropout 0.5, 4096,
    /// <paramref name="classes"/>. Nodes are named <c>features.N</c> and <c>classifier.N</c> with torchvision's
    /// indices. torchvision's AdaptiveAvgPool2d((6, 6)) between the two is left out: it has no parameters and is
    /// the identity at 224x224, where the features are already 6x6.
    /// </summary>
    /// <param name="g">The graph to add to.</param>
    /// <param name="x">A (3, H, W) input.</param>
    /// <param name="classes">Outputs of the last layer.</param>
    /// <param name="width">Multiplies every convolution's channels and the hidden layers' units (1: as published).
    /// </param>
    /// <param name="dropout">The classifier's dropout probability (0.5 as published; 0 turns it off).</param>
    public static Node Define(GraphBuilder g, Node x, int classes = 1000, float width = 1f, float dropout = 0.5f)
    {
        int C(int channels) => Width.Scale(channels, width);
        var f = new Numbered("features");
        var h = g.Relu(g.Conv2d(x, C(64), 11, 4, 2, name: f.Next()), f.Next());
        h = g.MaxPool2d(h, 3, 2, name: f.Next());
        h = g.Relu(g.Conv2d(h, C(192), 5, padding: 2, name: f.Next()), f.Next());
        h = g.MaxPool2d(h, 3, 2, name: f.Next());
        h = g.Relu(g.Conv2d(h, C(384), 3, padding: 1, name: f.Next()), f.Next());
        h = g.Relu(g.Conv2d(h, C(256), 3, padding: 1, name: f.Next()), f.Next());
        h = g.Relu(g.Conv2d(h, C(256), 3, padding: 1, name: f.Next()), f.Next());
        h = g.MaxPool2d(h, 3, 2, name: f.Next());
        h = g.Flatten(h, "flatten");
        var c = new Numbered("classifier");
        h = g.Dropout(h, dropout, c.Next());
        h = g.Relu(g.Linear(h, C(4096), name: c.Next()), c.Next());
        h = g.Dropout(h, dropout, c.Next());
        h = g.Relu(g.Linear(h, C(4096), name: c.Next()), c.Next());
        return g.Linear(h, classes, name: c.Next());
    }

    /// <summary>
    /// The paper's network on 227x227x3: conv1 96 11x11/4 (55x55x96, 34,944 parameters), ReLU, local response
    /// normalisation (size 5, the paper's alpha 1e-4 — 5e-4 in PyTorch's convention, which divides by the size —
    /// beta 0.75, k 2), max pool 3x3/2 (overlapping); conv2 256 5x5 pad 2 in 2 groups (the two GPUs), ReLU, LRN,
    /// pool; conv3 384 3x3 (across both towers), conv4 384 and conv5 256 3x3 in 2 groups, ReLU each, pool to
    /// 6x6x256; fc6 4096, fc7 4096 with ReLU and dropout 0.5; fc8 <paramref name="classes"/>. Nodes carry the
    /// Caffe reference model's names (conv1, relu1, norm1, pool1, ..., fc8).
    /// </summary>
    /// <param name="g">The graph to add to.</param>
    /// <param name="x">A (3, H, W) input.</param>
    /// <param name="classes">Outputs of the last layer.</param>
    /// <param name="width">Multiplies every convolution's channels (kept even for the two groups) and the hidden
    /// layers' units (1: as published).</param>
    /// <param name="dropout">The classifier's dropout probability (0.5 as published; 0 turns it off).</param>
    public static Node DefinePaper(GraphBuilder g, Node x, int classes = 1000, float width = 1f,
        float dropout = 0.5f)
    {
        int C(int channels) => Width.Scale(channels, width, multiple: 2);
        var h = g.Relu(g.Conv2d(x, C(96), 11, 4, name: "conv1"), "relu1");
        h = g.MaxPool2d(Lrn(g, h, "norm1"), 3, 2, name: "pool1");
        h = g.Relu(g.Conv2d(h, C(256), 5, padding: 2, groups: 2, name: "conv2"), "relu2");
        h = g.MaxPool2d(Lrn(g, h, "norm2"), 3, 2, name: "pool2");
        h = g.Relu(g.Conv2d(h, C(384), 3, padding: 1, name: "conv3"), "relu3");
        h = g.Relu(g.Conv2d(h, C(384), 3, padding: 1, groups: 2, name: "conv4"), "relu4");
        h = g.Relu(g.Conv2d(h, C(256), 3, padding: 1, groups: 2, name: "conv5"), "relu5");
        h = g.Flatten(g.MaxPool2d(h, 3, 2, name: "pool5"), "flatten");
        h = g.Dropout(g.Relu(g.Linear(h, C(4096), name: "fc6"), "relu6"), dropout, "drop6");
        h = g.Dropout(g.Relu(g.Linear(h, C(4096), name: "fc7"), "relu7"), dropout, "drop7");
        return g.Linear(h, classes, name: "fc8");
    }

    /// <summary>The paper's response normalisation: n = 5, alpha = 1e-4 (PyTorch's 5e-4), beta = 0.75, k = 2.
    /// </summary>
    internal static Node Lrn(GraphBuilder g, Node x, string name) =>
        g.LocalResponseNorm(x, 5, 5e-4f, 0.75f, 2f, name);
}
