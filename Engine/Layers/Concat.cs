using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>Concatenation of (C_i, H, W) inputs along channels, in input order (inception modules, DenseNet).
    /// Backward adds each channel slice of the output gradient into its input's gradient.</summary>
    public sealed class ConcatNode : Node
    {
        internal ConcatNode(Node[] inputs)
            : base(inputs)
        {
        }

        /// <inheritdoc />
        public override string Kind => "Concat";

        /// <inheritdoc />
        public override string Describe() => $"{Inputs.Count} inputs";

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs)
        {
            var first = inputs[0];
            if (inputs.Any(s => s.Rank != 3 || s[1] != first[1] || s[2] != first[2]))
            {
                throw ShapeError(inputs, "Concat needs (C, H, W) inputs that agree in H and W.");
            }

            return new Shape(inputs.Sum(s => s[0]), first[1], first[2]);
        }

        /// <inheritdoc />
        protected internal override void Forward(RunContext context)
        {
            var offset = 0;
            for (var i = 0; i < Inputs.Count; i++)
            {
                var channels = Inputs[i].OutputShape[0];
                context.Accelerator.ChannelCopy(Slice(context.Batch, channels, 0, channels, offset, OutputShape[0]),
                    In(i), Output, accumulate: false);
                offset += channels;
            }
        }

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            var offset = 0;
            for (var i = 0; i < Inputs.Count; i++)
            {
                var channels = Inputs[i].OutputShape[0];
                if (InGrad(i) is { } dx)
                {
                    context.Accelerator.ChannelCopy(Slice(context.Batch, channels, offset, OutputShape[0], 0, channels),
                        OutGrad, dx, accumulate: true);
                }

                offset += channels;
            }
        }

        private ChannelCopyGeometry Slice(int batch, int channels, int srcOffset, int srcChannels, int dstOffset,
            int dstChannels) =>
            new(batch, OutputShape[1] * OutputShape[2], channels, srcChannels, srcOffset, dstChannels, dstOffset);
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>Concatenation along channels, in the order given.</summary>
        public Node Concat(IReadOnlyList<Node> inputs, string? name = null) => inputs.Count >= 1
            ? Register(new ConcatNode([.. inputs]), name, "cat")
            : throw new GraphException("Concat needs at least one input.");
    }
}
