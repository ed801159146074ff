using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>Nearest-neighbour upsampling of a (C, H, W) input by integer factors per axis, as PyTorch's
    /// Upsample(scale_factor, mode='nearest') and UpsamplingNearest2d.</summary>
    public sealed class Upsample2dNode : Node
    {
        internal Upsample2dNode(Node input, int scaleH, int scaleW)
            : base(input)
        {
            ScaleH = scaleH;
            ScaleW = scaleW;
        }

        /// <summary>Output rows per input row.</summary>
        public int ScaleH { get; }

        /// <summary>Output columns per input column.</summary>
        public int ScaleW { get; }

        /// <summary>The geometry for one sample, known once built.</summary>
        public Upsample2dGeometry Geometry { get; private set; }

        /// <inheritdoc />
        public override string Kind => "UpsamplingNearest2d";

        /// <inheritdoc />
        public override string Describe() => ScaleH == ScaleW ? $"x{ScaleH} nearest" : $"x{ScaleH}x{ScaleW} nearest";

        // An output pixel reads one input pixel, so the field stays; a step moves jump / scale input pixels. Where
        // the scale does not divide the jump it is rounded up, so the fields after are upper bounds. Rows rule, as
        // for Conv2d's field.
        internal override (int Field, int Jump) ReceptiveField(int field, int jump, int whole) =>
            (field, (jump + ScaleH - 1) / ScaleH);

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs)
        {
            var x = inputs[0];
            if (x.Rank != 3)
            {
                throw ShapeError(inputs, "UpsamplingNearest2d needs a (C, H, W) input.");
            }

            var g = new Upsample2dGeometry(1, x[0], x[1], x[2], ScaleH, ScaleW);
            try
            {
                g.Validate();
            }
            catch (ArgumentException e)
            {
                throw ShapeError(inputs, e.Message);
            }

            Geometry = g;
            return new Shape(x[0], g.OutH, g.OutW);
        }

        /// <inheritdoc />
        protected internal override void Forward(RunContext context) =>
            context.Accelerator.Upsample2dForward(Geometry with { N = context.Batch }, In(0), Output);

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            if (InGrad(0) is { } dx)
            {
                context.Accelerator.Upsample2dBackward(Geometry with { N = context.Batch }, OutGrad, dx);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>Nearest-neighbour upsampling by <paramref name="scaleH"/> rows and <paramref name="scaleW"/>
        /// (default: the same) columns per input pixel.</summary>
        public Node Upsample2d(Node x, int scaleH, int? scaleW = null, string? name = null) =>
            Register(new Upsample2dNode(x, scaleH, scaleW ?? scaleH), name, "upsample");
    }

    /// <summary>Nearest-neighbour upsampling by integer factors (PyTorch's Upsample(scale_factor=(ScaleH, ScaleW),
    /// mode='nearest'), or UpsamplingNearest2d); <c>ScaleW</c> defaults to <c>ScaleH</c>.</summary>
    public sealed record Upsample(int ScaleH, int? ScaleW = null) : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) => g.Upsample2d(x, ScaleH, ScaleW, name);
    }
}
