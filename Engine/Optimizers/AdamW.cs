using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine.Optimizers;

/// <summary>
/// AdamW with PyTorch's defaults (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01): the weight decay is
/// decoupled from the gradient — each step first shrinks the parameter by lr*weightDecay of itself, then takes
/// Adam's bias-corrected step — where <see cref="Adam"/>'s weight decay is an L2 penalty added to the gradient and
/// then scaled by the adaptive step like the rest of it.
/// </summary>
public sealed class AdamW(IEnumerable<Parameter> parameters, float lr = 1e-3f, float beta1 = 0.9f,
    float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f) : Optimizer(parameters, lr)
{
    /// <summary>First-moment decay.</summary>
    public float Beta1 { get; } = DecayRate(beta1, nameof(beta1));

    /// <summary>Second-moment decay.</summary>
    public float Beta2 { get; } = DecayRate(beta2, nameof(beta2));

    /// <summary>Denominator epsilon.</summary>
    public float Epsilon { get; } = NonNegative(eps, nameof(eps));

    /// <summary>Decoupled weight decay: the fraction lr*weightDecay of each parameter removed every step.</summary>
    public float WeightDecay { get; } = NonNegative(weightDecay, nameof(weightDecay));

    /// <inheritdoc />
    public override string Name => "AdamW";

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> Hyperparameters => new Dictionary<string, string>
    {
        ["betas"] = $"{Text(Beta1)},{Text(Beta2)}",
        ["eps"] = Text(Epsilon),
        ["weight_decay"] = Text(WeightDecay),
    };

    /// <inheritdoc />
    public override void InitializeState()
    {
        foreach (var p in Parameters)
        {
            StateOf(p, "exp_avg");
            StateOf(p, "exp_avg_sq");
        }
    }

    /// <inheritdoc />
    protected override void Update(Parameter p)
    {
        var settings = new AdamWSettings(LearningRate, Beta1, Beta2, Epsilon, WeightDecay, StepCount);
        p.Value.Accelerator.AdamWUpdate(settings, p.Value, p.Grad, StateOf(p, "exp_avg"), StateOf(p, "exp_avg_sq"),
            p.Length);
    }
}
