using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine.Optimizers;

/// <summary>
/// RMSprop with PyTorch's defaults (lr 0.01, alpha 0.99, eps 1e-8 added outside the square root, no weight decay,
/// no momentum, not centered). Weight decay is an L2 penalty added to the gradient. Centered, the squared average is
/// reduced by the square of the running mean of the gradients (an estimate of their variance). State tensors, as
/// PyTorch names them: <c>square_avg</c>, and <c>momentum_buffer</c> with momentum, <c>grad_avg</c> when centered.
/// </summary>
public sealed class RmsProp(IEnumerable<Parameter> parameters, float lr = 1e-2f, float alpha = 0.99f,
    float eps = 1e-8f, float weightDecay = 0f, float momentum = 0f, bool centered = false)
    : Optimizer(parameters, lr)
{
    /// <summary>Decay of the running averages.</summary>
    public float Alpha { get; } = DecayRate(alpha, nameof(alpha));

    /// <summary>Epsilon added to the square root of the average.</summary>
    public float Epsilon { get; } = NonNegative(eps, nameof(eps));

    /// <summary>L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; } = NonNegative(weightDecay, nameof(weightDecay));

    /// <summary>Momentum factor (0: none).</summary>
    public float Momentum { get; } = NonNegative(momentum, nameof(momentum));

    /// <summary>Whether the squared average is centered by the running mean of the gradients.</summary>
    public bool Centered { get; } = centered;

    /// <inheritdoc />
    public override string Name => "RMSprop";

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> Hyperparameters => new Dictionary<string, string>
    {
        ["alpha"] = Text(Alpha),
        ["eps"] = Text(Epsilon),
        ["weight_decay"] = Text(WeightDecay),
        ["momentum"] = Text(Momentum),
        ["centered"] = Centered ? "true" : "false",
    };

    /// <inheritdoc />
    public override void InitializeState()
    {
        foreach (var p in Parameters)
        {
            StateOf(p, "square_avg");
            if (Momentum != 0f)
            {
                StateOf(p, "momentum_buffer");
            }

            if (Centered)
            {
                StateOf(p, "grad_avg");
            }
        }
    }

    /// <inheritdoc />
    protected override void Update(Parameter p)
    {
        var settings = new RmsPropSettings(LearningRate, Alpha, Epsilon, WeightDecay, Momentum, Centered);
        p.Value.Accelerator.RmsPropUpdate(settings, p.Value, p.Grad, StateOf(p, "square_avg"),
            Centered ? StateOf(p, "grad_avg") : null, Momentum != 0f ? StateOf(p, "momentum_buffer") : null,
            p.Length);
    }
}
