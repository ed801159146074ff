using System.Globalization;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;
using GpuCnn.Kernels;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>Local response normalisation across channels (PyTorch's LocalResponseNorm; see
    /// <see cref="LrnGeometry"/> for the formula and the AlexNet paper's alpha).</summary>
    public sealed class LocalResponseNormNode : Node
    {
        private DeviceBuffer? scale;

        internal LocalResponseNormNode(Node input, int size, float alpha, float beta, float k)
            : base(input)
        {
            Size = size;
            Alpha = alpha;
            Beta = beta;
            K = k;
        }

        /// <summary>Channels in the window.</summary>
        public int Size { get; }

        /// <summary>The scale of the sum of squares (divided by <see cref="Size"/> as PyTorch does).</summary>
        public float Alpha { get; }

        /// <summary>The exponent.</summary>
        public float Beta { get; }

        /// <summary>The additive constant.</summary>
        public float K { get; }

        /// <inheritdoc />
        public override string Kind => "LocalResponseNorm";

        /// <inheritdoc />
        public override string Describe() =>
            string.Create(CultureInfo.InvariantCulture, $"n={Size} a={Alpha:G3} b={Beta:G3} k={K:G3}");

        private LrnGeometry Geometry(int batch) =>
            new(batch, OutputShape[0], OutputShape.Size / OutputShape[0], Size, Alpha, Beta, K);

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => inputs[0].Rank == 3
            ? inputs[0]
            : throw ShapeError(inputs, "LocalResponseNorm needs a (C, H, W) input.");

        /// <inheritdoc />
        protected internal override void AllocateState(Accelerator accelerator, int maxBatch)
        {
            scale = accelerator.Allocate(maxBatch * OutputShape.Size);
        }

        /// <inheritdoc />
        protected internal override void ReleaseState()
        {
            scale?.Release();
            scale = null;
        }

        /// <inheritdoc />
        protected internal override void Forward(RunContext context) =>
            context.Accelerator.LrnForward(Geometry(context.Batch), In(0), Output, scale!);

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            if (InGrad(0) is { } dx)
            {
                context.Accelerator.LrnBackward(Geometry(context.Batch), In(0), Output, scale!, OutGrad, dx);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>Local response normalisation across <paramref name="size"/> channels (PyTorch's
        /// LocalResponseNorm: alpha is divided by the size).</summary>
        public Node LocalResponseNorm(Node x, int size, float alpha = 1e-4f, float beta = 0.75f, float k = 1f,
            string? name = null) => size >= 1 && k > 0 && alpha >= 0
            ? Register(new LocalResponseNormNode(x, size, alpha, beta, k), name, "lrn")
            : throw new GraphException(
                $"LocalResponseNorm needs size >= 1, k > 0 and alpha >= 0; got {size}, {k}, {alpha}.");
    }

    /// <summary>Local response normalisation across <paramref name="Size"/> channels (PyTorch's LocalResponseNorm:
    /// alpha is divided by the size).</summary>
    public sealed record LocalResponseNorm(int Size, float Alpha = 1e-4f, float Beta = 0.75f, float K = 1f) : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) =>
            g.LocalResponseNorm(x, Size, Alpha, Beta, K, name);
    }
}
