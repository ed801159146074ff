using GpuCnn.Kernels;

namespace GpuCnn.Engine;

/// <summary>
/// A chain of layers, PyTorch's <c>nn.Sequential</c>: layer i is named <c>i</c>, so its parameters are
/// <c>0.weight</c>, <c>0.bias</c>, ... exactly as PyTorch names them.
/// </summary>
/// <example><code>
/// var model = new Sequential(
///     new Conv2d(6, 5, padding: 2), new ReLU(), new MaxPool2d(2),
///     new Flatten(), new Linear(10));
/// using var net = model.Build(new Shape(1, 28, 28), accelerator);
/// </code></example>
public sealed class Sequential(params Layer[] layers)
{
    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Layer> Layers { get; } = layers;

    /// <summary>Adds the layers after <paramref name="x"/> in <paramref name="g"/>, naming them
    /// <c>{prefix}0</c>, <c>{prefix}1</c>..., and returns the last node.</summary>
    public Node Apply(GraphBuilder g, Node x, string prefix = "")
    {
        for (var i = 0; i < Layers.Count; i++)
        {
            x = Layers[i].Apply(g, x, prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return x;
    }

    /// <summary>Builds a network taking samples of <paramref name="inputShape"/>.</summary>
    public Network Build(Shape inputShape, Accelerator accelerator, int maxBatch = 64, ulong seed = 0)
    {
        var g = new GraphBuilder();
        return g.Build(Apply(g, g.Input(inputShape)), accelerator, maxBatch, seed);
    }
}
