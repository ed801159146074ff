namespace GpuCnn.Engine.Nodes;

/// <summary>(C, H, W) to (C*H*W): a view of its input's memory, so forward and backward do nothing.</summary>
public sealed class FlattenNode : Node
{
    internal FlattenNode(Node input)
        : base(input)
    {
    }

    /// <inheritdoc />
    public override string Kind => "Flatten";

    internal override bool IsView => true;

    /// <inheritdoc />
    protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => new(inputs[0].Size);

    /// <inheritdoc />
    protected internal override void Forward(RunContext context)
    {
    }

    /// <inheritdoc />
    protected internal override void Backward(RunContext context)
    {
    }
}
