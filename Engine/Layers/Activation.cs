using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>An element-wise activation: ReLU, Tanh, Sigmoid, GELU or SiLU.</summary>
    public sealed class ActivationNode : Node
    {
        internal ActivationNode(Node input, ActivationKind function)
            : base(input)
        {
            Function = function;
            _ = Kind; // An unknown kind fails when the graph is built, not at the first forward pass.
        }

        /// <summary>The function applied.</summary>
        public ActivationKind Function { get; }

        /// <inheritdoc />
        public override string Kind => Function switch
        {
            ActivationKind.Relu => "ReLU",
            ActivationKind.Tanh => "Tanh",
            ActivationKind.Sigmoid => "Sigmoid",
            ActivationKind.Gelu => "GELU",
            ActivationKind.Silu => "SiLU",
            _ => throw new ArgumentOutOfRangeException(nameof(Function), Function,
                $"Unknown activation kind {(int)Function}; expected one of " +
                $"{string.Join(", ", Enum.GetNames<ActivationKind>())}."),
        };

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => inputs[0];

        /// <inheritdoc />
        protected internal override void Forward(RunContext context) =>
            context.Accelerator.ActivationForward(Function, In(0), Output, context.Batch * OutputShape.Size);

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            if (InGradForOverwrite(0, out var overwrite) is { } dx)
            {
                context.Accelerator.ActivationBackward(Function, In(0), Output, OutGrad, dx,
                    context.Batch * OutputShape.Size, overwrite);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>max(0, x).</summary>
        public Node Relu(Node x, string? name = null) =>
            Register(new ActivationNode(x, ActivationKind.Relu), name, "relu");

        /// <summary>tanh(x).</summary>
        public Node Tanh(Node x, string? name = null) =>
            Register(new ActivationNode(x, ActivationKind.Tanh), name, "tanh");

        /// <summary>1/(1+exp(-x)).</summary>
        public Node Sigmoid(Node x, string? name = null) =>
            Register(new ActivationNode(x, ActivationKind.Sigmoid), name, "sigmoid");

        /// <summary>GELU, exactly: x Φ(x) = x (1 + erf(x/√2)) / 2 (PyTorch's default, approximate='none').</summary>
        public Node Gelu(Node x, string? name = null) =>
            Register(new ActivationNode(x, ActivationKind.Gelu), name, "gelu");

        /// <summary>SiLU (swish): x σ(x) = x / (1 + exp(-x)).</summary>
        public Node Silu(Node x, string? name = null) =>
            Register(new ActivationNode(x, ActivationKind.Silu), name, "silu");
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

    /// <summary>GELU, exactly: x Φ(x) with Φ the standard normal distribution function (PyTorch's
    /// <c>nn.GELU()</c>).</summary>
    public sealed record GELU : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) => g.Gelu(x, name);
    }

    /// <summary>SiLU (swish): x σ(x).</summary>
    public sealed record SiLU : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) => g.Silu(x, name);
    }
}
