namespace GpuCnn.Kernels.Ops;

/// <summary>Element-wise activation functions. Backward receives both the forward input x and output y; the
/// three here need only y. Any other value is rejected by every backend.</summary>
public enum ActivationKind
{
    /// <summary>max(0, x); dx = dy where y &gt; 0.</summary>
    Relu,

    /// <summary>tanh(x); dx = dy * (1 - y^2).</summary>
    Tanh,

    /// <summary>1 / (1 + exp(-x)); dx = dy * y * (1 - y).</summary>
    Sigmoid,
}
