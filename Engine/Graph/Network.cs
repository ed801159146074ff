using GpuCnn.Engine.Distributed;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;

namespace GpuCnn.Engine;

/// <summary>
/// A built graph on one accelerator: the schedule of nodes, their parameters and their buffers. Forward runs the
/// schedule in order, backward in reverse; nothing is read back unless asked.
/// </summary>
public sealed partial class Network : IDisposable
{
    private readonly List<Node> schedule;
    private readonly List<Parameter> parameters = [];
    private readonly List<StateTensor> states = [];
    private readonly RunContext context;
    private readonly List<GradientSlot> gradientSlots = [];
    // Whether each node was built to receive a gradient: freezing can only switch that off, since a node built
    // without a gradient buffer has nowhere to put one.
    private readonly bool[] builtRequiresGrad;
    private ulong seed;
    private ulong trainingSteps;
    private long[]? forwardTicks;
    private long[]? backwardTicks;

    private readonly IReadOnlyDictionary<Node, Node> instances;

    internal Network(List<Node> schedule, IReadOnlyDictionary<Node, Node> instances, Accelerator accelerator,
        int maxBatch, ulong seed)
    {
        this.schedule = schedule;
        this.instances = instances;
        this.seed = seed;
        Accelerator = accelerator;
        MaxBatch = maxBatch;
        context = new RunContext(accelerator);
        var random = new SeededRandom(seed);
        builtRequiresGrad = schedule.Select(n => n.RequiresGrad).ToArray();
        foreach (var node in schedule)
        {
            foreach (var spec in node.DeclareParameters())
            {
                var value = accelerator.Allocate(spec.Shape.Size);
                var grad = accelerator.AllocateZeroed(spec.Shape.Size);
                var bound = 1f / MathF.Sqrt(spec.FanIn);
                var init = new float[spec.Shape.Size];
                for (var i = 0; i < init.Length; i++)
                {
                    init[i] = spec.Constant ?? random.NextUniform(-bound, bound);
                }

                accelerator.CopyFromHost(init, value);
                var parameter = new Parameter($"{node.Name}.{spec.Suffix}", spec.Shape, value, grad);
                node.AddParameter(parameter);
                parameters.Add(parameter);
            }

            foreach (var spec in node.DeclareState())
            {
                var value = accelerator.Allocate(spec.Shape.Size);
                accelerator.Fill(value, spec.Initial);
                var state = new StateTensor($"{node.Name}.{spec.Suffix}", spec.Shape, value);
                node.AddState(state);
                states.Add(state);
            }

            if (node.IsView)
            {
                node.Output = node.Inputs[0].Output;
                node.Grad = node.Inputs[0].Grad;
                node.GradSlot = node.Inputs[0].GradSlot;
            }
            else
            {
                node.Output = accelerator.Allocate(maxBatch * node.OutputShape.Size);
                if (node.RequiresGrad)
                {
                    node.Grad = accelerator.Allocate(maxBatch * node.OutputShape.Size);
                    node.GradSlot = new GradientSlot(node.Grad);
                    gradientSlots.Add(node.GradSlot);
                }
            }

            node.AllocateState(accelerator, maxBatch);
        }

        IsTraining = true;
    }

    /// <summary>The accelerator holding every buffer.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The largest batch the buffers were planned for.</summary>
    public int MaxBatch { get; }

    /// <summary>Nodes in schedule order (the input first).</summary>
    public IReadOnlyList<Node> Nodes => schedule;

    /// <summary>The input node.</summary>
    public Node Input => schedule[0];

    /// <summary>The output node.</summary>
    public Node Output => schedule[^1];

    /// <summary>Per-sample input shape.</summary>
    public Shape InputShape => Input.OutputShape;

    /// <summary>Per-sample output shape.</summary>
    public Shape OutputShape => Output.OutputShape;

    /// <summary>The seed of initialisation and of the dropout masks.</summary>
    public ulong Seed => seed;

    /// <summary>
    /// Forward passes run in training mode so far. Each dropout mask is drawn from (<see cref="Seed"/>, this
    /// count), so a resumed run must restore both to draw the masks an uninterrupted run would have drawn.
    /// </summary>
    public ulong TrainingSteps => trainingSteps;

    /// <summary>Restores the dropout seed and the training-step counter saved by a checkpoint.</summary>
    public void RestoreRandomState(ulong seed, ulong trainingSteps)
    {
        this.seed = seed;
        this.trainingSteps = trainingSteps;
    }

    /// <summary>Told after each node's backward that its parameters' gradients are final (data-parallel training
    /// starts reducing them then); null in a one-process run.</summary>
    internal IGradientObserver? GradientObserver { get; set; }

    /// <summary>True in training mode (dropout on), false in evaluation mode.</summary>
    public bool IsTraining { get; private set; }

    /// <summary>All parameters in schedule order, weight before bias.</summary>
    public IReadOnlyList<Parameter> Parameters() => parameters;

    /// <summary>All state tensors (running statistics) in schedule order.</summary>
    public IReadOnlyList<StateTensor> States() => states;

    /// <summary>Total learnable elements.</summary>
    public long ParameterCount => parameters.Sum(p => (long)p.Length);

    /// <summary>A parameter by its dotted name.</summary>
    public Parameter Parameter(string name) => parameters.FirstOrDefault(p => p.Name == name) ??
        throw new KeyNotFoundException($"No parameter named '{name}'; the network has " +
            $"{string.Join(", ", parameters.Select(p => p.Name))}.");

    /// <summary>
    /// Freezes the parameters named by <paramref name="prefixes"/> — a node name (<c>conv1</c>) or a parameter name
    /// (<c>conv1.bias</c>); with none, every parameter. A frozen parameter gets no gradient and optimizers leave it
    /// as it is; backward also stops computing the activation gradients that only frozen layers would use.
    /// </summary>
    /// <returns>The parameters now frozen by this call.</returns>
    /// <exception cref="ArgumentException">A prefix names no parameter; the message lists the names.</exception>
    public IReadOnlyList<Parameter> Freeze(params string[] prefixes) => SetRequiresGrad(prefixes, false);

    /// <summary>Undoes <see cref="Freeze"/> for the parameters named by <paramref name="prefixes"/> (all when none).
    /// </summary>
    /// <returns>The parameters now trainable by this call.</returns>
    public IReadOnlyList<Parameter> Unfreeze(params string[] prefixes) => SetRequiresGrad(prefixes, true);

    /// <summary>The parameters that train (those not frozen).</summary>
    public IReadOnlyList<Parameter> TrainableParameters() => parameters.Where(p => p.RequiresGrad).ToList();

    /// <summary>A node by name.</summary>
    public Node Node(string name) => schedule.FirstOrDefault(n => n.Name == name) ??
        throw new KeyNotFoundException($"No node named '{name}'.");

    /// <summary>
    /// When on, every node's forward and backward is timed (the accelerator is synchronised after each, which
    /// slows the run): see <see cref="NodeTimes"/>.
    /// </summary>
    public bool Profiling
    {
        get => forwardTicks is not null;
        set
        {
            forwardTicks = value ? new long[schedule.Count] : null;
            backwardTicks = value ? new long[schedule.Count] : null;
        }
    }

    /// <summary>Accumulated forward and backward time per node while <see cref="Profiling"/> was on.</summary>
    public IReadOnlyList<(Node Node, TimeSpan Forward, TimeSpan Backward)> NodeTimes() => schedule
        .Select((n, i) => (n, System.Diagnostics.Stopwatch.GetElapsedTime(0, forwardTicks?[i] ?? 0),
            System.Diagnostics.Stopwatch.GetElapsedTime(0, backwardTicks?[i] ?? 0)))
        .ToList();

    /// <summary>Switches to training mode.</summary>
    public void Train() => IsTraining = true;

    /// <summary>Switches to evaluation mode.</summary>
    public void Eval() => IsTraining = false;

    /// <summary>The device buffer holding a node's output for the last forward pass.</summary>
    public DeviceBuffer OutputOf(Node node) => Materialized(Resolve(node)).Output;

    /// <summary>The device buffer holding a node's output gradient, if it has one.</summary>
    public DeviceBuffer? GradOf(Node node) => Resolve(node).Grad;

    /// <summary>This network's instance of <paramref name="node"/>, which may be the definition the builder
    /// returned or the instance itself.</summary>
    public Node Resolve(Node node) => instances.TryGetValue(node, out var instance) ? instance
        : schedule.Contains(node) ? node
        : throw new ArgumentException($"Node '{node.Name}' is not part of this network.", nameof(node));

    /// <summary>Copies a batch (batch, InputShape) from the host and runs the forward pass.</summary>
    public void Forward(ReadOnlySpan<float> input, int batch)
    {
        CheckBatch(batch);
        var expected = batch * InputShape.Size;
        if (input.Length < expected)
        {
            throw new ArgumentException(
                $"Input holds {input.Length} floats; a batch of {batch} x {InputShape} needs {expected}.");
        }

        Accelerator.CopyFromHost(input[..expected], Input.Output);
        Forward(batch);
    }

    /// <summary>Runs the forward pass on the batch already in the input buffer.</summary>
    public void Forward(int batch)
    {
        CheckBatch(batch);
        context.Batch = batch;
        context.Training = IsTraining;
        if (IsTraining)
        {
            trainingSteps++;
            context.StepSeed = seed * 0xD1B54A32D192ED03UL + trainingSteps;
        }

        if (ForwardFused())
        {
            return;
        }

        for (var i = 1; i < schedule.Count; i++)
        {
            var start = forwardTicks is null ? 0 : Timestamp();
            schedule[i].Forward(context);
            if (forwardTicks is not null)
            {
                forwardTicks[i] += Timestamp() - start;
            }
        }
    }

    /// <summary>
    /// Runs backward from <paramref name="from"/>, whose output gradient the caller has written (a loss does).
    /// Other activation gradients start from zero; parameter gradients accumulate until zeroed.
    /// </summary>
    /// <remarks>The activation gradients are not filled with zeros up front: each is marked, and its first writer
    /// either overwrites it whole or has it zeroed first (<see cref="GradientSlot"/>). Any still marked at the end
    /// (no consumer ran) are zeroed then, so every gradient reads as before.</remarks>
    public void Backward(Node from)
    {
        from = Resolve(from);
        if (from.Grad is null)
        {
            throw new InvalidOperationException($"Node '{from.Name}' has no gradient: nothing before it learns.");
        }

        MaterializeFused();

        foreach (var slot in gradientSlots)
        {
            slot.ZeroPending = !ReferenceEquals(slot.Buffer, from.Grad);
        }

        RefreshGradientFlow();
        for (var i = from.Index; i > 0; i--)
        {
            if (schedule[i].RequiresGrad)
            {
                var start = backwardTicks is null ? 0 : Timestamp();
                schedule[i].Backward(context);
                if (backwardTicks is not null)
                {
                    backwardTicks[i] += Timestamp() - start;
                }

                GradientObserver?.GradientsReady(schedule[i]);
            }
        }

        foreach (var slot in gradientSlots)
        {
            slot.Materialize();
        }
    }

    // A node needs backward only when a trainable parameter lies in it or before it. Recomputed at every backward
    // (a few dozen flag reads, no allocation) because parameters can be frozen directly through RequiresGrad.
    private void RefreshGradientFlow()
    {
        for (var i = 1; i < schedule.Count; i++)
        {
            var node = schedule[i];
            var flows = false;
            for (var j = 0; j < node.Parameters.Count && !flows; j++)
            {
                flows = node.Parameters[j].RequiresGrad;
            }

            for (var j = 0; j < node.Inputs.Count && !flows; j++)
            {
                flows = node.Inputs[j].RequiresGrad;
            }

            node.RequiresGrad = builtRequiresGrad[i] && flows;
        }
    }

    private List<Parameter> SetRequiresGrad(string[] prefixes, bool requiresGrad)
    {
        var chosen = prefixes.Length == 0 ? [.. parameters] : new List<Parameter>();
        foreach (var prefix in prefixes)
        {
            // Whole dotted components only: "conv1" must not catch "conv10".
            var matches = parameters.Where(p => p.Name == prefix ||
                p.Name.StartsWith(prefix + ".", StringComparison.Ordinal)).ToList();
            if (matches.Count == 0)
            {
                throw new ArgumentException($"'{prefix}' names no parameter; the network has " +
                    $"{string.Join(", ", parameters.Select(p => p.Name))}.", nameof(prefixes));
            }

            chosen.AddRange(matches.Where(m => !chosen.Contains(m)));
        }

        var changed = chosen.Where(p => p.RequiresGrad != requiresGrad).ToList();
        foreach (var p in chosen)
        {
            p.RequiresGrad = requiresGrad;
        }

        RefreshGradientFlow();
        return changed;
    }

    /// <summary>Sets every parameter gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (var p in parameters)
        {
            p.ZeroGrad();
        }
    }

    /// <summary>
    /// Runs forward in evaluation mode and returns the raw outputs (batch, OutputShape): logits for most models,
    /// probabilities for one ending in Softmax (see <see cref="OutputScores"/>). For probabilities from any
    /// classifier use <see cref="PredictProbabilities"/> or <see cref="Classify"/>.
    /// </summary>
    public float[] Predict(ReadOnlySpan<float> input, int batch)
    {
        var training = IsTraining;
        Eval();
        try
        {
            Forward(input, batch);
            var result = new float[batch * OutputShape.Size];
            Accelerator.CopyToHost(Output.Output, result);
            return result;
        }
        finally
        {
            IsTraining = training;
        }
    }

    /// <summary>Returns every buffer to the accelerator's pool.</summary>
    public void Dispose()
    {
        foreach (var node in schedule)
        {
            node.ReleaseState();
        }

        var released = new HashSet<DeviceBuffer>(ReferenceEqualityComparer.Instance);
        foreach (var buffer in schedule.Where(n => !n.IsView).SelectMany(n => new[] { n.Output, n.Grad })
                     .Concat(parameters.SelectMany(p => new[] { p.Value, p.Grad }))
                     .Concat(states.Select(s => s.Value)))
        {
            if (buffer is not null && released.Add(buffer))
            {
                buffer.Release();
            }
        }
    }

    // Stopwatch ticks after the queued kernels finished; NodeTimes converts the sums.
    private long Timestamp()
    {
        Accelerator.Synchronize();
        return System.Diagnostics.Stopwatch.GetTimestamp();
    }

    private void CheckBatch(int batch)
    {
        if (batch < 1 || batch > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch,
                $"The network was built for batches of 1 to {MaxBatch}.");
        }
    }
}
