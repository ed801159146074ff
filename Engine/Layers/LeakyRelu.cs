using System.Globalization;
using GpuCnn.Engine.Nodes;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>The leaky ReLU: x where x &gt; 0, else negativeSlope * x (PyTorch's <c>nn.LeakyReLU</c>).</summary>
    public sealed class LeakyReluNode : Node
    {
        internal LeakyReluNode(Node input, float negativeSlope)
            : base(input)
        {
            if (!float.IsFinite(negativeSlope))
            {
                throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope,
                    "The leaky ReLU's negative slope must be a finite number (PyTorch's default is 0.01).");
            }

            NegativeSlope = negativeSlope;
        }

        /// <summary>The factor applied where x is not positive.</summary>
        public float NegativeSlope { get; }

        /// <inheritdoc />
        public override string Kind => "LeakyReLU";

        /// <inheritdoc />
        public override string Describe() =>
            $"negative_slope={NegativeSlope.ToString("0.######", CultureInfo.InvariantCulture)}";

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => inputs[0];

        /// <inheritdoc />
        protected internal override void Forward(RunContext context) =>
            context.Accelerator.LeakyReluForward(In(0), Output, context.Batch * OutputShape.Size, NegativeSlope);

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            if (InGrad(0) is { } dx)
            {
                context.Accelerator.LeakyReluBackward(In(0), OutGrad, dx, context.Batch * OutputShape.Size,
                    NegativeSlope);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>x where x &gt; 0, else <paramref name="negativeSlope"/> * x; the gradient at 0 is the slope's,
        /// as PyTorch's.</summary>
        public Node LeakyRelu(Node x, float negativeSlope = 0.01f, string? name = null) =>
            Register(new LeakyReluNode(x, negativeSlope), name, "leaky_relu");
    }

    /// <summary>x where x &gt; 0, else <paramref name="NegativeSlope"/> * x (PyTorch's default slope 0.01).</summary>
    public sealed record LeakyReLU(float NegativeSlope = 0.01f) : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) => g.LeakyRelu(x, NegativeSlope, name);
    }
}
