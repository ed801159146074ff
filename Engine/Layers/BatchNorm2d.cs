using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;
using GpuCnn.Kernels;

namespace GpuCnn.Engine.Nodes
{
    /// <summary>
    /// Batch normalisation over the channels of a (C, H, W) input (PyTorch's BatchNorm2d): in training mode each
    /// channel is normalised with its batch mean and variance and the running statistics follow them by
    /// <see cref="Momentum"/>; in evaluation mode the running statistics normalise. Parameters <c>weight</c> (gamma,
    /// starting at 1) and <c>bias</c> (beta, starting at 0) when affine; state <c>running_mean</c> and
    /// <c>running_var</c>. Backward after an evaluation-mode forward pass differentiates that pass, in which the
    /// statistics are constants (as PyTorch does: fine-tuning with frozen batch-norm statistics).
    /// </summary>
    public sealed class BatchNorm2dNode : Node
    {
        private DeviceBuffer? saveMean;
        private DeviceBuffer? saveInvStd;
        private bool lastForwardTrained;

        // Evaluation-mode backward: zeros and ones per channel, 1/sqrt(running_var + eps), and dy scaled per channel.
        private DeviceBuffer? zeros;
        private DeviceBuffer? ones;
        private DeviceBuffer? evalInvStd;
        private DeviceBuffer? evalScratch;
        private int maxBatch;

        internal BatchNorm2dNode(Node input, float eps, float momentum, bool affine)
            : base(input)
        {
            Eps = eps;
            Momentum = momentum;
            Affine = affine;
        }

        /// <summary>Added to the variance before the square root.</summary>
        public float Eps { get; }

        /// <summary>How far the running statistics move towards each batch's (PyTorch's 0.1 by default).</summary>
        public float Momentum { get; }

        /// <summary>Whether the node learns a scale and a shift.</summary>
        public bool Affine { get; }

        /// <inheritdoc />
        public override string Kind => "BatchNorm2d";

        /// <inheritdoc />
        public override string Describe() => Affine ? "" : "no affine";

        private BatchNormGeometry Geometry(int batch) =>
            new(batch, OutputShape[0], OutputShape.Size / OutputShape[0]);

        /// <inheritdoc />
        protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => inputs[0].Rank == 3
            ? inputs[0]
            : throw ShapeError(inputs, "BatchNorm2d needs a (C, H, W) input.");

        /// <inheritdoc />
        protected internal override IEnumerable<ParameterSpec> DeclareParameters()
        {
            if (Affine)
            {
                yield return new ParameterSpec("weight", new Shape(OutputShape[0]), 1, 1f);
                yield return new ParameterSpec("bias", new Shape(OutputShape[0]), 1, 0f);
            }
        }

        /// <inheritdoc />
        protected internal override IEnumerable<StateSpec> DeclareState()
        {
            yield return new StateSpec("running_mean", new Shape(OutputShape[0]), 0f);
            yield return new StateSpec("running_var", new Shape(OutputShape[0]), 1f);
        }

        /// <inheritdoc />
        protected internal override void AllocateState(Accelerator accelerator, int maxBatch)
        {
            saveMean = accelerator.AllocateZeroed(OutputShape[0]);
            saveInvStd = accelerator.AllocateZeroed(OutputShape[0]);
            zeros = accelerator.AllocateZeroed(OutputShape[0]);
            ones = accelerator.Allocate(OutputShape[0]);
            accelerator.Fill(ones, 1f);
            evalInvStd = accelerator.AllocateZeroed(OutputShape[0]);
            this.maxBatch = maxBatch;
        }

        /// <inheritdoc />
        protected internal override void ReleaseState()
        {
            foreach (var buffer in new[] { saveMean, saveInvStd, zeros, ones, evalInvStd, evalScratch })
            {
                buffer?.Release();
            }

            saveMean = saveInvStd = zeros = ones = evalInvStd = evalScratch = null;
        }

        /// <inheritdoc />
        protected internal override void Forward(RunContext context)
        {
            var g = Geometry(context.Batch);
            var gamma = Affine ? Parameters[0].Value : null;
            var beta = Affine ? Parameters[1].Value : null;
            lastForwardTrained = context.Training;
            if (context.Training)
            {
                context.Accelerator.BatchNormForwardTraining(g, In(0), gamma, beta, Output, saveMean!, saveInvStd!,
                    States[0].Value, States[1].Value, Momentum, Eps);
            }
            else
            {
                context.Accelerator.BatchNormForwardInference(g, In(0), gamma, beta, States[0].Value, States[1].Value,
                    Eps, Output);
            }
        }

        /// <inheritdoc />
        protected internal override void Backward(RunContext context)
        {
            var dgamma = Affine && Parameters[0].RequiresGrad ? Parameters[0].Grad : null;
            var dbeta = Affine && Parameters[1].RequiresGrad ? Parameters[1].Grad : null;
            var dx = InGradForOverwrite(0, out var overwrite);
            if (dx is null && dgamma is null && dbeta is null)
            {
                return;
            }

            var gamma = Affine ? Parameters[0].Value : null;
            if (lastForwardTrained)
            {
                context.Accelerator.BatchNormBackward(Geometry(context.Batch), In(0), OutGrad, gamma, saveMean!,
                    saveInvStd!, dx, dgamma, dbeta, overwrite);
            }
            else
            {
                EvaluationBackward(context, gamma, dx, overwrite, dgamma, dbeta);
            }
        }

        // y = gamma * (x - running_mean) * s + beta with s = 1/sqrt(running_var + eps) constant: dx += dy * gamma * s,
        // dgamma += sum(dy * (x - running_mean) * s), dbeta += sum(dy). The kernels of the forward passes compute it;
        // a dx this node writes first (overwrite) takes the scaled dy directly.
        private void EvaluationBackward(RunContext context, DeviceBuffer? gamma, DeviceBuffer? dx, bool overwrite,
            DeviceBuffer? dgamma, DeviceBuffer? dbeta)
        {
            var acc = context.Accelerator;
            var channels = OutputShape[0];
            var g = Geometry(context.Batch);
            // s per channel: the inference kernel applied to ones with mean 0.
            acc.BatchNormForwardInference(new BatchNormGeometry(1, channels, 1), ones!, null, null, zeros!,
                States[1].Value, Eps, evalInvStd!);
            if (dgamma is not null || dbeta is not null)
            {
                // With the running mean and s as the saved statistics and no dx, the training backward sums exactly
                // dy * xhat and dy per channel.
                acc.BatchNormBackward(g, In(0), OutGrad, gamma, States[0].Value, evalInvStd!, null, dgamma, dbeta);
            }

            if (dx is not null && overwrite)
            {
                acc.BatchNormForwardInference(g, OutGrad, gamma, null, zeros!, States[1].Value, Eps, dx);
            }
            else if (dx is not null)
            {
                // The first evaluation-mode backward takes a buffer from the pool; later ones reuse it.
                evalScratch ??= acc.Allocate(maxBatch * OutputShape.Size);
                acc.BatchNormForwardInference(g, OutGrad, gamma, null, zeros!, States[1].Value, Eps, evalScratch);
                acc.AddInto(evalScratch, dx, g.Length);
            }
        }
    }
}

namespace GpuCnn.Engine
{
    public sealed partial class GraphBuilder
    {
        /// <summary>Batch normalisation over channels (PyTorch's BatchNorm2d defaults).</summary>
        public Node BatchNorm2d(Node x, float eps = 1e-5f, float momentum = 0.1f, bool affine = true,
            string? name = null) => eps > 0 && momentum is >= 0 and <= 1
            ? Register(new BatchNorm2dNode(x, eps, momentum, affine), name, "bn")
            : throw new GraphException($"BatchNorm2d needs eps > 0 and momentum in [0, 1]; got {eps} and {momentum}.");
    }

    /// <summary>Batch normalisation over channels (PyTorch's BatchNorm2d; its parameters and running statistics are
    /// <c>i.weight</c>, <c>i.bias</c>, <c>i.running_mean</c>, <c>i.running_var</c>).</summary>
    public sealed record BatchNorm2d(float Eps = 1e-5f, float Momentum = 0.1f, bool Affine = true) : Layer
    {
        /// <inheritdoc />
        public override Node Apply(GraphBuilder g, Node x, string name) =>
            g.BatchNorm2d(x, Eps, Momentum, Affine, name);
    }
}
