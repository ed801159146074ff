using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine.Optimizers;

/// <summary>Stochastic gradient descent with PyTorch's momentum, dampening, Nesterov and weight decay rules.</summary>
public sealed class Sgd : Optimizer
{
    /// <summary>PyTorch's SGD; lr has no default there, 0.01 is the seeds' exercise value.</summary>
    public Sgd(IEnumerable<Parameter> parameters, float lr = 0.01f, float momentum = 0f, float dampening = 0f,
        float weightDecay = 0f, bool nesterov = false)
        : base(parameters, lr)
    {
        if (nesterov && (momentum <= 0f || dampening != 0f))
        {
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening.");
        }

        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
        Nesterov = nesterov;
    }

    /// <summary>Momentum factor.</summary>
    public float Momentum { get; }

    /// <summary>Dampening of the momentum.</summary>
    public float Dampening { get; }

    /// <summary>L2 penalty.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc />
    public override string Name => "SGD";

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> Hyperparameters => new Dictionary<string, string>
    {
        ["momentum"] = Text(Momentum),
        ["dampening"] = Text(Dampening),
        ["weight_decay"] = Text(WeightDecay),
        ["nesterov"] = Nesterov ? "true" : "false",
    };

    /// <inheritdoc />
    public override void InitializeState()
    {
        if (Momentum != 0f)
        {
            foreach (var p in Parameters)
            {
                StateOf(p, "momentum_buffer");
            }
        }
    }

    /// <inheritdoc />
    protected override void Update(Parameter p)
    {
        var settings = new SgdSettings(LearningRate, Momentum, Dampening, WeightDecay, Nesterov, StepCount == 1);
        var velocity = Momentum != 0f ? StateOf(p, "momentum_buffer") : null;
        p.Value.Accelerator.SgdUpdate(settings, p.Value, p.Grad, velocity, p.Length);
    }
}
