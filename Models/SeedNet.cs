using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;

namespace GpuCnn.Models;

/// <summary>
/// The exercise network of the lecture notes' "Programming Tasks", with Keras' padding semantics:
/// conv 64@3x3 stride 2 valid, ReLU; conv 32@2x2 stride 1 same (one extra row and column at the bottom and
/// right), ReLU; max pool 2x2 stride 1; dropout 0.35; flatten; dense 256 tanh; dropout 0.5; dense 10 softmax.
/// </summary>
public static class SeedNet
{
    /// <summary>MNIST's sample shape.</summary>
    public static Shape InputShape { get; } = new(1, 28, 28);

    /// <summary>Adds the layers after <paramref name="x"/> and returns the softmax node (training fuses it with
    /// the cross-entropy).</summary>
    public static Node Define(GraphBuilder g, Node x, int classes = 10)
    {
        var h = g.Relu(g.Conv2d(x, 64, 3, 2, Padding2d.Valid, name: "conv1"));
        h = g.Relu(g.Conv2d(h, 32, 2, 1, Padding2d.Same, name: "conv2"));
        h = g.MaxPool2d(h, 2, stride: 1, name: "pool1");
        h = g.Dropout(h, 0.35f, name: "dropout1");
        h = g.Flatten(h);
        h = g.Tanh(g.Linear(h, 256, name: "fc1"));
        h = g.Dropout(h, 0.5f, name: "dropout2");
        return g.Softmax(g.Linear(h, classes, name: "fc2"));
    }
}
