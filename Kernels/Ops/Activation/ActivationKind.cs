namespace GpuCnn.Kernels.Ops;

/// <summary>Element-wise activation functions. Backward receives both the forward input x and output y: ReLU, tanh
/// and sigmoid write their derivative through y, GELU and SiLU through x. Any other value is rejected by every
/// backend.</summary>
public enum ActivationKind
{
    /// <summary>max(0, x); dx = dy where y &gt; 0.</summary>
    Relu,

    /// <summary>tanh(x); dx = dy * (1 - y^2).</summary>
    Tanh,

    /// <summary>1 / (1 + exp(-x)); dx = dy * y * (1 - y).</summary>
    Sigmoid,

    /// <summary>GELU, PyTorch's exact form (approximate='none'): x Φ(x) = x (1 + erf(x / √2)) / 2;
    /// dx = dy (Φ(x) + x φ(x)), φ the standard normal density.</summary>
    Gelu,

    /// <summary>SiLU (swish): x σ(x) with σ the logistic sigmoid; dx = dy σ(x) (1 + x (1 - σ(x))).</summary>
    Silu,
}
