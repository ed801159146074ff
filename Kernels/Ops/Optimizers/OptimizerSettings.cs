namespace GpuCnn.Kernels.Ops;

/// <summary>Hyper-parameters of one SGD update, PyTorch's rule: with momentum, buf = momentum*buf +
/// (1-dampening)*g (buf = g on the first step); Nesterov uses g + momentum*buf.</summary>
public readonly record struct SgdSettings(
    float LearningRate, float Momentum, float Dampening, float WeightDecay, bool Nesterov, bool FirstStep);

/// <summary>Hyper-parameters of one Adam update (PyTorch's rule, bias-corrected, L2 weight decay).
/// <paramref name="Step"/> counts from 1.</summary>
public readonly record struct AdamSettings(
    float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, int Step);

/// <summary>Hyper-parameters of one Adadelta update (PyTorch's rule).</summary>
public readonly record struct AdadeltaSettings(float LearningRate, float Rho, float Epsilon, float WeightDecay);
