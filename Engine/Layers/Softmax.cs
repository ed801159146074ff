using GpuCnn.Engine.Nodes;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>Softmax over the features of each sample. When it ends a graph, training fuses it with the
    /// cross-entropy loss and starts backward at its input.</summary>
    public sealed class SoftmaxNode : Node
    {
        internal SoftmaxNode(Node input)
            : base(input)
        {
        }

        /// <inheritdoc />
        public override string Kind => "Softmax";

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => inputs[0].Rank == 1
            ? inputs[0]
            : throw ShapeError(inputs, "Softmax needs a flat (F) input; insert Flatten first.");

        /// <inheritdoc />
        protected internal override void Forward(RunContext context) =>
            context.Accelerator.SoftmaxForward(In(0), Output, context.Batch, OutputShape[0]);

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            if (InGrad(0) is { } dx)
            {
                context.Accelerator.SoftmaxBackward(Output, OutGrad, dx, context.Batch, OutputShape[0]);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>Softmax over features.</summary>
        public Node Softmax(Node x, string? name = null) => Register(new SoftmaxNode(x), name, "softmax");
    }

    /// <summary>Softmax over features.</summary>
    public sealed record Softmax : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) => g.Softmax(x, name);
    }
}
