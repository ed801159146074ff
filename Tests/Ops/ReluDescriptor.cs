using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Tests.Ops;

/// <summary>ReLU: max(0, x), whose derivative [y &gt; 0] lets no gradient through an exact zero.</summary>
internal sealed class ReluDescriptor : ActivationDescriptor
{
    public override ActivationKind Kind => ActivationKind.Relu;

    public override double Function(double x) => Math.Max(x, 0.0);

    public override double Derivative(double x, double y) => y > 0 ? 1.0 : 0.0;

    public override Node Build(GraphBuilder g, Node x, string? name) => g.Relu(x, name);
}
