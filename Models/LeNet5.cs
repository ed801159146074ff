using GpuCnn.Engine;

namespace GpuCnn.Models;

/// <summary>
/// LeNet-5 as PyTorch users write it today: conv 6@5x5 pad 2, ReLU, max pool 2, conv 16@5x5, ReLU, max pool 2,
/// then 120, 84 and 10 units — 61,706 parameters on a 1x28x28 input.
/// </summary>
public static class LeNet5
{
    /// <summary>MNIST's sample shape.</summary>
    public static Shape InputShape { get; } = new(1, 28, 28);

    /// <summary>Adds the layers after <paramref name="x"/> and returns the logits node.</summary>
    public static Node Define(GraphBuilder g, Node x, int classes = 10)
    {
        var h = g.MaxPool2d(g.Relu(g.Conv2d(x, 6, 5, padding: 2, name: "conv1")), 2);
        h = g.MaxPool2d(g.Relu(g.Conv2d(h, 16, 5, name: "conv2")), 2);
        h = g.Flatten(h);
        h = g.Relu(g.Linear(h, 120, name: "fc1"));
        h = g.Relu(g.Linear(h, 84, name: "fc2"));
        return g.Linear(h, classes, name: "fc3");
    }
}
