using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine;

/// <summary>A layer description for <see cref="Sequential"/>; it adds its node to a graph when built.</summary>
public abstract record Layer
{
    /// <summary>Adds this layer's node after <paramref name="x"/> under <paramref name="name"/>.</summary>
    public abstract Node Apply(GraphBuilder g, Node x, string name);
}

/// <summary>2-D convolution with <paramref name="OutChannels"/> filters of side <paramref name="Kernel"/>; the
/// padding holds what <paramref name="PaddingMode"/> says (PyTorch's padding_mode).</summary>
public sealed record Conv2d(int OutChannels, int Kernel, int Stride = 1, int Padding = 0, int Dilation = 1,
    int Groups = 1, bool Bias = true, PaddingMode PaddingMode = PaddingMode.Zeros) : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) => g.Conv2d(x, OutChannels, Kernel, Stride,
        Padding2d.Symmetric(Padding), Dilation, Groups, Bias, name, PaddingMode);
}

/// <summary>Max pooling; the stride defaults to the kernel.</summary>
public sealed record MaxPool2d(int Kernel, int? Stride = null, int Padding = 0) : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) => g.MaxPool2d(x, Kernel, Stride, Padding, name);
}

/// <summary>Average pooling; the stride defaults to the kernel.</summary>
public sealed record AvgPool2d(int Kernel, int? Stride = null, int Padding = 0) : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) => g.AvgPool2d(x, Kernel, Stride, Padding, name);
}

/// <summary>The mean of each channel, (C, H, W) to (C, 1, 1) (PyTorch's AdaptiveAvgPool2d(1)).</summary>
public sealed record GlobalAvgPool2d : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) => g.GlobalAvgPool2d(x, name);
}

/// <summary>Explicit padding (top, left, bottom, right) filled as <paramref name="Mode"/> says, with
/// <paramref name="Value"/> for a constant border (PyTorch's ZeroPad2d, ConstantPad2d, ReplicationPad2d,
/// ReflectionPad2d, CircularPad2d; note PyTorch lists the amounts as left, right, top, bottom).</summary>
public sealed record Pad2d(int Top, int Left, int Bottom, int Right, PaddingMode Mode = PaddingMode.Zeros,
    float Value = 0f) : Layer
{
    /// <summary>The same amount on all four sides.</summary>
    public Pad2d(int amount, PaddingMode mode = PaddingMode.Zeros, float value = 0f)
        : this(amount, amount, amount, amount, mode, value)
    {
    }

    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) =>
        g.Pad2d(x, Top, Left, Bottom, Right, Mode, Value, name);
}

/// <summary>Batch normalisation over channels (PyTorch's BatchNorm2d; its parameters and running statistics are
/// <c>i.weight</c>, <c>i.bias</c>, <c>i.running_mean</c>, <c>i.running_var</c>).</summary>
public sealed record BatchNorm2d(float Eps = 1e-5f, float Momentum = 0.1f, bool Affine = true) : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) => g.BatchNorm2d(x, Eps, Momentum, Affine, name);
}

/// <summary>Local response normalisation across <paramref name="Size"/> channels (PyTorch's LocalResponseNorm:
/// alpha is divided by the size).</summary>
public sealed record LocalResponseNorm(int Size, float Alpha = 1e-4f, float Beta = 0.75f, float K = 1f) : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) =>
        g.LocalResponseNorm(x, Size, Alpha, Beta, K, name);
}

/// <summary>max(0, x).</summary>
public sealed record ReLU : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) => g.Relu(x, name);
}

/// <summary>tanh(x).</summary>
public sealed record Tanh : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) => g.Tanh(x, name);
}

/// <summary>The logistic sigmoid.</summary>
public sealed record Sigmoid : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) => g.Sigmoid(x, name);
}

/// <summary>Softmax over features.</summary>
public sealed record Softmax : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) => g.Softmax(x, name);
}

/// <summary>(C, H, W) to (C*H*W), without a copy.</summary>
public sealed record Flatten : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) => g.Flatten(x, name);
}

/// <summary>Fully connected layer to <paramref name="OutFeatures"/> features.</summary>
public sealed record Linear(int OutFeatures, bool Bias = true) : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) => g.Linear(x, OutFeatures, Bias, name);
}

/// <summary>Inverted dropout with drop probability <paramref name="P"/>.</summary>
public sealed record Dropout(float P) : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) => g.Dropout(x, P, name);
}

/// <summary>Convolution with a padding rule (<see cref="Padding2d.Valid"/>, <see cref="Padding2d.Same"/>,
/// <see cref="Padding2d.Full"/> or explicit amounts) holding what <paramref name="PaddingMode"/> says.</summary>
public sealed record Conv2dPadded(int OutChannels, int Kernel, int Stride, Padding2d Padding,
    PaddingMode PaddingMode = PaddingMode.Zeros) : Layer
{
    /// <inheritdoc />
    public override Node Apply(GraphBuilder g, Node x, string name) =>
        g.Conv2d(x, OutChannels, Kernel, Stride, Padding, name: name, paddingMode: PaddingMode);
}
