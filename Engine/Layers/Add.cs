using GpuCnn.Engine.Nodes;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>Element-wise sum of two inputs of one shape (a residual connection). Backward adds the output
    /// gradient into both inputs' gradients, so a tensor that also feeds other nodes collects the sum.</summary>
    public sealed class AddNode : Node
    {
        internal AddNode(Node a, Node b)
            : base(a, b)
        {
        }

        /// <inheritdoc />
        public override string Kind => "Add";

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => inputs[0].Equals(inputs[1])
            ? inputs[0]
            : throw ShapeError(inputs, "Add needs two inputs of the same shape.");

        /// <inheritdoc />
        protected internal override void Forward(RunContext context)
        {
            var count = context.Batch * OutputShape.Size;
            context.Accelerator.Copy(In(0), Output, count);
            context.Accelerator.AddInto(In(1), Output, count);
        }

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            var count = context.Batch * OutputShape.Size;
            for (var i = 0; i < 2; i++)
            {
                if (InGrad(i) is { } dx)
                {
                    context.Accelerator.AddInto(OutGrad, dx, count);
                }
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>Element-wise a + b (a residual connection).</summary>
        public Node Add(Node a, Node b, string? name = null) => Register(new AddNode(a, b), name, "add");
    }
}
