using GpuCnn.Engine.Nodes;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>(C, H, W) to (C*H*W): a view of its input's memory, so forward and backward do nothing.</summary>
    public sealed class FlattenNode : Node
    {
        internal FlattenNode(Node input)
            : base(input)
        {
        }

        /// <inheritdoc />
        public override string Kind => "Flatten";

        internal override bool IsView => true;

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => new(inputs[0].Size);

        /// <inheritdoc />
        protected internal override void Forward(RunContext context)
        {
        }

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>Flattens (C, H, W) to (C*H*W) without a copy.</summary>
        public Node Flatten(Node x, string? name = null) => Register(new FlattenNode(x), name, "flatten");
    }

    /// <summary>(C, H, W) to (C*H*W), without a copy.</summary>
    public sealed record Flatten : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) => g.Flatten(x, name);
    }
}
