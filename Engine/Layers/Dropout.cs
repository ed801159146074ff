using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>Inverted dropout: in training, zeroes each element with probability p and scales the rest by
    /// 1/(1-p); in evaluation, the identity.</summary>
    public sealed class DropoutNode : Node
    {
        private DeviceBuffer? mask;
        private bool maskActive;

        internal DropoutNode(Node input, float probability)
            : base(input)
        {
            if (!(probability >= 0f && probability < 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(probability), probability, "Dropout p must be in [0, 1).");
            }

            Probability = probability;
        }

        /// <summary>Probability of dropping an element.</summary>
        public float Probability { get; }

        /// <inheritdoc />
        public override string Kind => "Dropout";

        /// <inheritdoc />
        public override string Describe() => $"p={Probability:0.###}";

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => inputs[0];

        /// <inheritdoc />
        protected internal override void AllocateState(Accelerator accelerator, int maxBatch)
        {
            mask = accelerator.Allocate(maxBatch * OutputShape.Size);
        }

        /// <inheritdoc />
        protected internal override void ReleaseState()
        {
            mask?.Release();
            mask = null;
        }

        /// <inheritdoc />
        protected internal override void Forward(RunContext context)
        {
            var count = context.Batch * OutputShape.Size;
            maskActive = context.Training && Probability > 0f;
            if (maskActive)
            {
                context.Accelerator.DropoutForward(In(0), mask!, Output, count, Probability,
                    context.StepSeed ^ ((ulong)Index * 0x9E3779B97F4A7C15UL));
            }
            else
            {
                context.Accelerator.Copy(In(0), Output, count);
            }
        }

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            if (InGrad(0) is not { } dx)
            {
                return;
            }

            var count = context.Batch * OutputShape.Size;
            if (maskActive)
            {
                context.Accelerator.DropoutBackward(mask!, OutGrad, dx, count);
            }
            else
            {
                context.Accelerator.AddInto(OutGrad, dx, count);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>Inverted dropout with drop probability <paramref name="p"/>.</summary>
        public Node Dropout(Node x, float p, string? name = null) => Register(new DropoutNode(x, p), name, "dropout");
    }

    /// <summary>Inverted dropout with drop probability <paramref name="P"/>.</summary>
    public sealed record Dropout(float P) : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) => g.Dropout(x, P, name);
    }
}
