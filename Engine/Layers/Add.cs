using GpuCnn.Engine.Nodes;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>Element-wise sum of two inputs of one shape (a residual connection). Backward adds the output
    /// gradient into both inputs' gradients (copies it into one this node writes first), so a tensor that also feeds
    /// other nodes collects the sum.</summary>
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
            context.Accelerator.Add(In(0), In(1), Output, context.Batch * OutputShape.Size);
        }

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            var count = context.Batch * OutputShape.Size;
            for (var i = 0; i < 2; i++)
            {
                if (InGradForOverwrite(i, out var overwrite) is not { } dx)
                {
                    continue;
                }

                if (overwrite)
                {
                    context.Accelerator.Copy(OutGrad, dx, count);
                }
                else
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
