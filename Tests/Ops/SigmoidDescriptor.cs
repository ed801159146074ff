using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Tests.Ops;

/// <summary>1 / (1 + exp(-x)), with the derivative y (1 - y) written through the output, as the kernels compute
/// it.</summary>
internal sealed class SigmoidDescriptor : ActivationDescriptor
{
    public override ActivationKind Kind => ActivationKind.Sigmoid;

    public override double Function(double x) => 1.0 / (1.0 + Math.Exp(-x));

    public override double Derivative(double x, double y) => y * (1 - y);

    public override Node Build(GraphBuilder g, Node x, string? name) => g.Sigmoid(x, name);
}
