using GpuCnn.Engine.Nodes;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>The graph's input: the batch is copied into its output buffer.</summary>
    public sealed class InputNode : Node
    {
        private readonly Shape shape;

        internal InputNode(Shape shape, bool requiresGrad)
        {
            this.shape = shape;
            RequiresGrad = requiresGrad;
        }

        /// <inheritdoc />
        public override string Kind => "Input";

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => shape;

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
        /// <summary>Declares the input of one sample, e.g. (1, 28, 28).</summary>
        public Node Input(Shape shape, bool requiresGrad = false, string name = "input") =>
            Register(new InputNode(shape, requiresGrad), name, null);
    }
}
