using GpuCnn.Engine.Nodes;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>Fully connected layer y = x W^T + b with PyTorch's layout: weight (out, in), bias (out).</summary>
    public sealed class LinearNode : Node
    {
        internal LinearNode(Node input, int outFeatures, bool bias)
            : base(input)
        {
            OutFeatures = outFeatures;
            HasBias = bias;
        }

        /// <summary>Output features.</summary>
        public int OutFeatures { get; }

        /// <summary>Input features, known once built.</summary>
        public int InFeatures { get; private set; }

        /// <summary>Whether a bias is added.</summary>
        public bool HasBias { get; }

        /// <inheritdoc />
        public override string Kind => "Linear";

        /// <inheritdoc />
        public override long MultiplyAdds => (long)InFeatures * OutFeatures;

        // A dense layer sees the whole input, and all that its input saw.
        internal override (int Field, int Jump) ReceptiveField(int field, int jump, int whole) =>
            (Math.Max(whole, field), jump);

        /// <inheritdoc />
        public override string Describe() => $"{InFeatures} -> {OutFeatures}";

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs)
        {
            if (inputs[0].Rank != 1)
            {
                throw ShapeError(inputs, "Linear needs a flat (F) input; insert Flatten first.");
            }

            InFeatures = inputs[0][0];
            return new Shape(OutFeatures);
        }

        /// <inheritdoc />
        protected internal override IEnumerable<ParameterSpec> DeclareParameters()
        {
            yield return new ParameterSpec("weight", new Shape(OutFeatures, InFeatures), InFeatures);
            if (HasBias)
            {
                yield return new ParameterSpec("bias", new Shape(OutFeatures), InFeatures);
            }
        }

        // x:(B,in) w:(out,in) b:(out) y:(B,out)
        /// <inheritdoc />
        protected internal override void Forward(RunContext context)
        {
            var acc = context.Accelerator;
            acc.Gemm(false, true, context.Batch, OutFeatures, InFeatures, 1f, In(0), Parameters[0].Value, 0f, Output);
            if (HasBias)
            {
                acc.BiasAddForward(Output, Parameters[1].Value, context.Batch, OutFeatures, 1);
            }
        }

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            var acc = context.Accelerator;
            var weight = Parameters[0];
            if (weight.RequiresGrad)
            {
                // dW(out,in) += dy^T(out,B) x(B,in); right after ZeroGrad the product overwrites instead (beta 0),
                // which spares the zeroing pass and the read of dW.
                var dW = weight.GradForOverwrite(out var overwrite);
                acc.Gemm(true, false, OutFeatures, InFeatures, context.Batch, 1f, OutGrad, In(0), overwrite ? 0f : 1f,
                    dW);
            }

            if (HasBias && Parameters[1].RequiresGrad)
            {
                acc.BiasAddBackward(OutGrad, Parameters[1].Grad, context.Batch, OutFeatures, 1);
            }

            if (InGrad(0) is { } dx)
            {
                // dx(B,in) += dy(B,out) W(out,in)
                acc.Gemm(false, false, context.Batch, InFeatures, OutFeatures, 1f, OutGrad, weight.Value, 1f, dx);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>Fully connected layer (PyTorch's Linear).</summary>
        public Node Linear(Node x, int outFeatures, bool bias = true, string? name = null) => outFeatures >= 1
            ? Register(new LinearNode(x, outFeatures, bias), name, "fc")
            : throw new GraphException($"Linear needs at least one output feature, got {outFeatures}.");
    }

    /// <summary>Fully connected layer to <paramref name="OutFeatures"/> features.</summary>
    public sealed record Linear(int OutFeatures, bool Bias = true) : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) => g.Linear(x, OutFeatures, Bias, name);
    }
}
