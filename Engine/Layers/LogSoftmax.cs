using GpuCnn.Engine.Nodes;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>Log-softmax over the features of each sample, as PyTorch's LogSoftmax(dim=1) on an (N, F) input.
    /// Like <see cref="SoftmaxNode"/> it needs a flat input. Computed with the row maximum subtracted, so large
    /// logits stay finite.</summary>
    public sealed class LogSoftmaxNode : Node
    {
        internal LogSoftmaxNode(Node input)
            : base(input)
        {
        }

        /// <inheritdoc />
        public override string Kind => "LogSoftmax";

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => inputs[0].Rank == 1
            ? inputs[0]
            : throw ShapeError(inputs, "LogSoftmax needs a flat (F) input; insert Flatten first.");

        /// <inheritdoc />
        protected internal override void Forward(RunContext context) =>
            context.Accelerator.LogSoftmaxForward(In(0), Output, context.Batch, OutputShape[0]);

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            if (InGrad(0) is { } dx)
            {
                context.Accelerator.LogSoftmaxBackward(Output, OutGrad, dx, context.Batch, OutputShape[0]);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>Log-softmax over features (PyTorch's LogSoftmax(dim=1) after a flatten).</summary>
        public Node LogSoftmax(Node x, string? name = null) => Register(new LogSoftmaxNode(x), name, "logsoftmax");
    }

    /// <summary>Log-softmax over features (PyTorch's LogSoftmax(dim=1) after a flatten).</summary>
    public sealed record LogSoftmax : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) => g.LogSoftmax(x, name);
    }
}
