using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine.Optimizers;

/// <summary>Adadelta with PyTorch's defaults (lr 1.0, rho 0.9, eps 1e-6).</summary>
public sealed class Adadelta(IEnumerable<Parameter> parameters, float lr = 1f, float rho = 0.9f, float eps = 1e-6f,
    float weightDecay = 0f) : Optimizer(parameters, lr)
{
    /// <summary>Decay of the running averages.</summary>
    public float Rho { get; } = rho;

    /// <summary>Epsilon inside the square roots.</summary>
    public float Epsilon { get; } = eps;

    /// <summary>L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; } = NonNegative(weightDecay, nameof(weightDecay));

    /// <inheritdoc />
    public override string Name => "Adadelta";

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> Hyperparameters => new Dictionary<string, string>
    {
        ["rho"] = Text(Rho),
        ["eps"] = Text(Epsilon),
        ["weight_decay"] = Text(WeightDecay),
    };

    /// <inheritdoc />
    public override void InitializeState()
    {
        foreach (var p in Parameters)
        {
            StateOf(p, "square_avg");
            StateOf(p, "acc_delta");
        }
    }

    /// <inheritdoc />
    protected override void Update(Parameter p)
    {
        var settings = new AdadeltaSettings(LearningRate, Rho, Epsilon, WeightDecay);
        p.Value.Accelerator.AdadeltaUpdate(settings, p.Value, p.Grad, StateOf(p, "square_avg"),
            StateOf(p, "acc_delta"), p.Length);
    }
}
