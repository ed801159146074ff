using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>The mean of each channel: (C, H, W) to (C, 1, 1), as PyTorch's AdaptiveAvgPool2d(1).</summary>
    public sealed class GlobalAvgPool2dNode : Node
    {
        internal GlobalAvgPool2dNode(Node input)
            : base(input)
        {
        }

        /// <summary>The pooling over the whole plane for one sample, known once built.</summary>
        public Pool2dGeometry Geometry { get; private set; }

        /// <inheritdoc />
        public override string Kind => "GlobalAvgPool2d";

        internal override (int Field, int Jump) ReceptiveField(int field, int jump, int whole) =>
            (field + (Geometry.KernelH - 1) * jump, jump * Geometry.KernelH);

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs)
        {
            var x = inputs[0];
            if (x.Rank != 3)
            {
                throw ShapeError(inputs, "GlobalAvgPool2d needs a (C, H, W) input.");
            }

            Geometry = new Pool2dGeometry(1, x[0], x[1], x[2], x[1], x[2], x[1], x[2]);
            return new Shape(x[0], 1, 1);
        }

        /// <inheritdoc />
        protected internal override void Forward(RunContext context) =>
            context.Accelerator.AvgPool2dForward(Geometry with { N = context.Batch }, In(0), Output);

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            if (InGrad(0) is { } dx)
            {
                context.Accelerator.AvgPool2dBackward(Geometry with { N = context.Batch }, OutGrad, dx);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>The mean of each channel, (C, H, W) to (C, 1, 1).</summary>
        public Node GlobalAvgPool2d(Node x, string? name = null) => Register(new GlobalAvgPool2dNode(x), name, "gap");
    }

    /// <summary>The mean of each channel, (C, H, W) to (C, 1, 1) (PyTorch's AdaptiveAvgPool2d(1)).</summary>
    public sealed record GlobalAvgPool2d : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) => g.GlobalAvgPool2d(x, name);
    }
}
