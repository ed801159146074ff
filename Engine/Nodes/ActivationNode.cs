using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine.Nodes;

/// <summary>ReLU, Tanh or Sigmoid, element-wise.</summary>
public sealed class ActivationNode : Node
{
    internal ActivationNode(Node input, ActivationKind function)
        : base(input)
    {
        Function = function;
        _ = Kind; // An unknown kind fails when the graph is built, not at the first forward pass.
    }

    /// <summary>The function applied.</summary>
    public ActivationKind Function { get; }

    /// <inheritdoc />
    public override string Kind => Function switch
    {
        ActivationKind.Relu => "ReLU",
        ActivationKind.Tanh => "Tanh",
        ActivationKind.Sigmoid => "Sigmoid",
        _ => throw new ArgumentOutOfRangeException(nameof(Function), Function,
            $"Unknown activation kind {(int)Function}; expected one of " +
            $"{string.Join(", ", Enum.GetNames<ActivationKind>())}."),
    };

    /// <inheritdoc />
    protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => inputs[0];

    /// <inheritdoc />
    protected internal override void Forward(RunContext context) =>
        context.Accelerator.ActivationForward(Function, In(0), Output, context.Batch * OutputShape.Size);

    /// <inheritdoc />
    protected internal override void Backward(RunContext context)
    {
        if (InGrad(0) is { } dx)
        {
            context.Accelerator.ActivationBackward(Function, In(0), Output, OutGrad, dx,
                context.Batch * OutputShape.Size);
        }
    }
}
