using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine.Optimizers;

/// <summary>Adam with PyTorch's defaults (lr 1e-3, betas 0.9/0.999, eps 1e-8) and bias correction.</summary>
public sealed class Adam(IEnumerable<Parameter> parameters, float lr = 1e-3f, float beta1 = 0.9f,
    float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f) : Optimizer(parameters, lr)
{
    /// <summary>First-moment decay.</summary>
    public float Beta1 { get; } = beta1;

    /// <summary>Second-moment decay.</summary>
    public float Beta2 { get; } = beta2;

    /// <summary>Denominator epsilon.</summary>
    public float Epsilon { get; } = eps;

    /// <summary>L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; } = NonNegative(weightDecay, nameof(weightDecay));

    /// <inheritdoc />
    public override string Name => "Adam";

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
        var settings = new AdamSettings(LearningRate, Beta1, Beta2, Epsilon, WeightDecay, StepCount);
        p.Value.Accelerator.AdamUpdate(settings, p.Value, p.Grad, StateOf(p, "exp_avg"), StateOf(p, "exp_avg_sq"),
            p.Length);
    }
}
