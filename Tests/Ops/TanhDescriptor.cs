using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Tests.Ops;

/// <summary>tanh(x), with the derivative 1 - y^2 written through the output, as the kernels compute it.</summary>
internal sealed class TanhDescriptor : ActivationDescriptor
{
    public override ActivationKind Kind => ActivationKind.Tanh;

    public override double Function(double x) => Math.Tanh(x);

    public override double Derivative(double x, double y) => 1 - y * y;

    public override Node Build(GraphBuilder g, Node x, string? name) => g.Tanh(x, name);
}
