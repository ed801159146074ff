using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Tests.Ops;

/// <summary>SiLU: x σ(x), with the derivative σ(x) (1 + x (1 - σ(x))) written through the input, as the kernels
/// compute it (y / x would fail at x = 0).</summary>
internal sealed class SiluDescriptor : ActivationDescriptor
{
    public override ActivationKind Kind => ActivationKind.Silu;

    public override double Function(double x) => x / (1.0 + Math.Exp(-x));

    public override double Derivative(double x, double y)
    {
        var s = 1.0 / (1.0 + Math.Exp(-x));
        return s * (1 + x * (1 - s));
    }

    public override Node Build(GraphBuilder g, Node x, string? name) => g.Silu(x, name);
}
