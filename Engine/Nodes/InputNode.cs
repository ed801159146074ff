namespace GpuCnn.Engine.Nodes;

/// <summary>The graph's input: the batch is copied into its output buffer.</summary>
public sealed class InputNode : Node
{
    private readonly Shape shape;

    internal InputNode(Shape shape, bool requiresGrad)
    {
        this.shape = shape;
        RequiresGrad = requiresGrad;
    }

    /// <inheritdoc />
    public override string Kind => "Input";

    /// <inheritdoc />
    protected internal override Shape InferShape(IReadOnlyList<Shape> inputs) => shape;

    /// <inheritdoc />
    protected internal override void Forward(RunContext context)
    {
    }

    /// <inheritdoc />
    protected internal override void Backward(RunContext context)
    {
    }
}
