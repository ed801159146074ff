using System.Globalization;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>Explicit padding of a (C, H, W) input with one of the <see cref="PaddingMode"/>s (PyTorch's
    /// ZeroPad2d, ConstantPad2d, ReplicationPad2d, ReflectionPad2d and CircularPad2d, and numpy's symmetric).</summary>
    public sealed class Pad2dNode : Node
    {
        internal Pad2dNode(Node input, int top, int left, int bottom, int right, PaddingMode mode, float value)
            : base(input)
        {
            Top = top;
            Left = left;
            Bottom = bottom;
            Right = right;
            Mode = mode;
            Value = value;
        }

        /// <summary>Rows added above.</summary>
        public int Top { get; }

        /// <summary>Columns added on the left.</summary>
        public int Left { get; }

        /// <summary>Rows added below.</summary>
        public int Bottom { get; }

        /// <summary>Columns added on the right.</summary>
        public int Right { get; }

        /// <summary>What the border holds.</summary>
        public PaddingMode Mode { get; }

        /// <summary>The fill of <see cref="PaddingMode.Constant"/>.</summary>
        public float Value { get; }

        /// <summary>The geometry for one sample, known once built.</summary>
        public Pad2dGeometry Geometry { get; private set; }

        /// <inheritdoc />
        public override string Kind => Mode switch
        {
            PaddingMode.Zeros => "ZeroPad2d",
            PaddingMode.Constant => "ConstantPad2d",
            PaddingMode.Replicate => "ReplicationPad2d",
            PaddingMode.Reflect => "ReflectionPad2d",
            PaddingMode.Symmetric => "SymmetricPad2d",
            _ => "CircularPad2d",
        };

        /// <inheritdoc />
        public override string Describe() => Mode == PaddingMode.Constant
            ? string.Create(CultureInfo.InvariantCulture, $"({Top},{Left},{Bottom},{Right}) value {Value:G4}")
            : $"({Top},{Left},{Bottom},{Right})";

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs)
        {
            var x = inputs[0];
            if (x.Rank != 3)
            {
                throw ShapeError(inputs, $"{Kind} needs a (C, H, W) input.");
            }

            var g = Checked(new Pad2dGeometry(1, x[0], x[1], x[2], Top, Left, Bottom, Right, Mode, Value),
                problem => ShapeError(inputs, problem));
            Geometry = g;
            return new Shape(x[0], g.OutH, g.OutW);
        }

        /// <summary>The geometry when it is valid; otherwise the node's build error carrying the geometry's reason.
        /// Shared with <see cref="Conv2dNode"/>, whose padding modes pad the same way.</summary>
        internal static Pad2dGeometry Checked(Pad2dGeometry geometry, Func<string, GraphException> error)
        {
            try
            {
                geometry.Validate();
            }
            catch (ArgumentException e)
            {
                throw error(e.Message);
            }

            return geometry;
        }

        /// <inheritdoc />
        protected internal override void Forward(RunContext context) =>
            context.Accelerator.Pad2dForward(Geometry with { N = context.Batch }, In(0), Output);

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            if (InGrad(0) is { } dx)
            {
                context.Accelerator.Pad2dBackward(Geometry with { N = context.Batch }, OutGrad, dx);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>Explicit padding (top, left, bottom, right) filled as <paramref name="mode"/> says.</summary>
        public Node Pad2d(Node x, int top, int left, int bottom, int right, PaddingMode mode = PaddingMode.Zeros,
            float value = 0f, string? name = null) => top >= 0 && left >= 0 && bottom >= 0 && right >= 0
            ? Register(new Pad2dNode(x, top, left, bottom, right, mode, value), name, "pad")
            : throw new GraphException($"Pad2d amounts must not be negative: ({top}, {left}, {bottom}, {right}).");
    }

    /// <summary>Explicit padding (top, left, bottom, right) filled as <paramref name="Mode"/> says, with
    /// <paramref name="Value"/> for a constant border (PyTorch's ZeroPad2d, ConstantPad2d, ReplicationPad2d,
    /// ReflectionPad2d, CircularPad2d; note PyTorch lists the amounts as left, right, top, bottom).</summary>
    public sealed record Pad2d(int Top, int Left, int Bottom, int Right, PaddingMode Mode = PaddingMode.Zeros,
        float Value = 0f) : Layer
    {
        /// <summary>The same amount on all four sides.</summary>
        public Pad2d(int amount, PaddingMode mode = PaddingMode.Zeros, float value = 0f)
            : this(amount, amount, amount, amount, mode, value)
        {
        }

        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) =>
            g.Pad2d(x, Top, Left, Bottom, Right, Mode, Value, name);
    }
}
