using System.Globalization;
using GpuCnn.Kernels;

namespace GpuCnn.Engine.Optimizers;

/// <summary>
/// Updates parameters from their gradients with kernels on the parameters' accelerator. State tensors
/// (momentum, moments) are named as PyTorch names them, so checkpoints carry them.
/// </summary>
public abstract class Optimizer : IDisposable
{
    // Keyed by (parameter, state name) so that a step looks buffers up without building strings.
    private readonly Dictionary<(Parameter Parameter, string Name), DeviceBuffer> state = [];

    /// <summary>Creates an optimizer for <paramref name="parameters"/> with learning rate <paramref name="lr"/>.</summary>
    protected Optimizer(IEnumerable<Parameter> parameters, float lr)
    {
        Parameters = parameters.ToList();
        if (Parameters.Count == 0)
        {
            throw new ArgumentException("An optimizer needs at least one parameter.", nameof(parameters));
        }

        if (!(lr >= 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(lr), lr, "The learning rate must not be negative.");
        }

        LearningRate = lr;
    }

    /// <summary>The parameters updated.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The current learning rate (schedules change it between steps).</summary>
    public float LearningRate { get; set; }

    /// <summary>The hyper-parameters besides the learning rate, by the names of PyTorch's parameter groups
    /// (<c>weight_decay</c>, <c>betas</c>, <c>momentum</c> ...), as invariant text: what a checkpoint records beside
    /// <see cref="Name"/>.</summary>
    public abstract IReadOnlyDictionary<string, string> Hyperparameters { get; }

    /// <summary>Updates taken so far.</summary>
    public int StepCount { get; protected set; }

    /// <summary>PyTorch's class name: <c>SGD</c>, <c>Adam</c>, <c>AdamW</c>, <c>Adadelta</c>, <c>RMSprop</c>; a
    /// checkpoint records it, and resuming needs the same.</summary>
    public abstract string Name { get; }

    /// <summary>Zeroes every parameter gradient.</summary>
    public void ZeroGrad()
    {
        // Index loops: foreach over the interface would allocate an enumerator every step.
        for (var i = 0; i < Parameters.Count; i++)
        {
            Parameters[i].ZeroGrad();
        }
    }

    /// <summary>Applies one update to every parameter that requires a gradient.</summary>
    public void Step()
    {
        StepCount++;
        for (var i = 0; i < Parameters.Count; i++)
        {
            if (Parameters[i].RequiresGrad)
            {
                Update(Parameters[i]);
            }
        }
    }

    /// <summary>State tensors by name, <c>{parameter}.{state}</c>: what a checkpoint saves.</summary>
    public IReadOnlyDictionary<string, DeviceBuffer> State =>
        state.ToDictionary(e => $"{e.Key.Parameter.Name}.{e.Key.Name}", e => e.Value);

    /// <summary>Restores the step count after loading state.</summary>
    public void RestoreStepCount(int steps) => StepCount = steps;

    /// <summary>Updates one parameter.</summary>
    protected abstract void Update(Parameter p);

    /// <summary>A zero-initialised state tensor for <paramref name="p"/>, created on first use.</summary>
    protected DeviceBuffer StateOf(Parameter p, string name)
    {
        if (!state.TryGetValue((p, name), out var buffer))
        {
            buffer = p.Value.Accelerator.AllocateZeroed(p.Length);
            state[(p, name)] = buffer;
        }

        return buffer;
    }

    /// <summary>Creates every state tensor now, so that loading a checkpoint finds them.</summary>
    public abstract void InitializeState();

    /// <summary>A value as <see cref="Hyperparameters"/> writes it: the shortest invariant text that reads back
    /// as the same float.</summary>
    protected static string Text(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary><paramref name="value"/> when it is finite and at least 0 (a weight decay, an epsilon, a momentum);
    /// otherwise an error naming the hyper-parameter, as PyTorch refuses them.</summary>
    protected static float NonNegative(float value, string name) => float.IsFinite(value) && value >= 0f ? value
        : throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and at least 0.");

    /// <summary><paramref name="value"/> when it is in [0, 1) (a decay rate of a running average); otherwise an
    /// error naming the hyper-parameter.</summary>
    protected static float DecayRate(float value, string name) => value >= 0f && value < 1f ? value
        : throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 0 and below 1.");

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var buffer in state.Values)
        {
            buffer.Release();
        }

        state.Clear();
        GC.SuppressFinalize(this);
    }
}
