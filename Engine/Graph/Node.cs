using GpuCnn.Kernels;

namespace GpuCnn.Engine;

/// <summary>
/// One layer of a graph. A node infers its output shape when the graph is built, declares its parameters,
/// and enqueues its kernels: forward reads its inputs' outputs, backward adds into its inputs' gradients.
/// </summary>
public abstract class Node
{
    private List<Parameter> parameters = [];
    private List<StateTensor> states = [];

    /// <summary>Creates a node fed by <paramref name="inputs"/>.</summary>
    protected Node(params Node[] inputs) => Inputs = inputs;

    /// <summary>Unique name in its graph; parameters are named <c>{Name}.weight</c>.</summary>
    public string Name { get; internal set; } = "";

    /// <summary>The layer type as PyTorch calls it: <c>Conv2d</c>, <c>MaxPool2d</c>, <c>Linear</c>...</summary>
    public abstract string Kind { get; }

    /// <summary>Nodes whose outputs this node reads.</summary>
    public IReadOnlyList<Node> Inputs { get; private set; }

    /// <summary>Per-sample output shape, known once the graph is built.</summary>
    public Shape OutputShape { get; private set; } = new(1);

    /// <summary>This node's learnable tensors.</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>This node's state tensors (saved with the model, not trained).</summary>
    public IReadOnlyList<StateTensor> States => states;

    /// <summary>True when a gradient must flow into this node's output.</summary>
    public bool RequiresGrad { get; internal set; }

    /// <summary>Multiply-adds of the forward pass for one sample.</summary>
    public virtual long MultiplyAdds => 0;

    /// <summary>A short description of the hyper-parameters, e.g. <c>6 5x5/1 pad 2</c>.</summary>
    public virtual string Describe() => "";

    /// <summary>Output activations on the device, (batch, OutputShape).</summary>
    internal DeviceBuffer Output { get; set; } = null!;

    /// <summary>Gradient of the output, same layout; null when no gradient flows here.</summary>
    internal DeviceBuffer? Grad { get; set; }

    /// <summary>The output gradient's pending zero (shared with views of this output); null with no gradient.</summary>
    internal GradientSlot? GradSlot { get; set; }

    /// <summary>Index in the graph's schedule.</summary>
    internal int Index { get; set; }

    /// <summary>When true the node's output and gradient are its first input's buffers (a view, no copy).</summary>
    internal virtual bool IsView => false;

    /// <summary>The receptive field and input stride ("jump") of one output step after this node, given the widest
    /// input's; <paramref name="whole"/> is the larger side of the network's input. Windowed nodes grow the field
    /// (r_out = r_in + (k - 1) * dilation * j_in, j_out = j_in * stride); the rest pass it on.</summary>
    internal virtual (int Field, int Jump) ReceptiveField(int field, int jump, int whole) => (field, jump);

    internal void SetShape(Shape shape) => OutputShape = shape;

    internal void AddParameter(Parameter parameter) => parameters.Add(parameter);

    internal void AddState(StateTensor state) => states.Add(state);

    /// <summary>Computes the output shape from the inputs' shapes; throws <see cref="GraphException"/> with the
    /// node, its input shape and the rule when they do not fit.</summary>
    protected internal abstract Shape InferShape(IReadOnlyList<Shape> inputs);

    /// <summary>The parameters to create: name suffix, shape, and the fan-in used by the default
    /// initialisation.</summary>
    protected internal virtual IEnumerable<ParameterSpec> DeclareParameters() => [];

    /// <summary>The state tensors to create (running statistics).</summary>
    protected internal virtual IEnumerable<StateSpec> DeclareState() => [];

    /// <summary>Extra device memory the node keeps between forward and backward (a dropout mask).</summary>
    protected internal virtual void AllocateState(Accelerator accelerator, int maxBatch)
    {
    }

    /// <summary>Returns what <see cref="AllocateState"/> took to the accelerator's pool.</summary>
    protected internal virtual void ReleaseState()
    {
    }

    /// <summary>
    /// A copy of this definition for one network, fed by <paramref name="inputs"/>, with no buffers or
    /// parameters yet: every <see cref="GraphBuilder.Build"/> gets its own nodes, so one graph definition can be
    /// built several times (on several accelerators) without the networks sharing state.
    /// </summary>
    internal Node Instantiate(IReadOnlyList<Node> inputs)
    {
        var copy = (Node)MemberwiseClone();
        copy.Inputs = inputs;
        copy.parameters = [];
        copy.states = [];
        // Definitions never hold buffers or state (only instances are built), so nothing else needs resetting.
        copy.Output = null!;
        copy.Grad = null;
        copy.GradSlot = null;
        return copy;
    }

    /// <summary>Enqueues the forward kernels.</summary>
    protected internal abstract void Forward(RunContext context);

    /// <summary>Enqueues the backward kernels, adding into input and parameter gradients.</summary>
    protected internal abstract void Backward(RunContext context);

    /// <summary>Input <paramref name="i"/>'s activations.</summary>
    protected DeviceBuffer In(int i) => Inputs[i].Output;

    /// <summary>Input <paramref name="i"/>'s gradient for a kernel that adds into it, or null when none is needed.
    /// </summary>
    protected DeviceBuffer? InGrad(int i) => Inputs[i].RequiresGrad ? Materialized(Inputs[i]) : null;

    /// <summary>
    /// Input <paramref name="i"/>'s gradient, or null when none is needed; <paramref name="overwrite"/> says that
    /// this node is the first to write it in this backward pass, and must then write every element (of the batch)
    /// without reading it, instead of adding. A node that cannot do so calls <see cref="InGrad"/>.
    /// </summary>
    protected DeviceBuffer? InGradForOverwrite(int i, out bool overwrite)
    {
        overwrite = false;
        var input = Inputs[i];
        if (!input.RequiresGrad)
        {
            return null;
        }

        if (input.GradSlot is { ZeroPending: true } slot)
        {
            slot.ZeroPending = false;
            overwrite = true;
        }

        return input.Grad;
    }

    /// <summary>The output gradient, present whenever backward runs.</summary>
    protected DeviceBuffer OutGrad => Materialized(this) ??
        throw new InvalidOperationException($"{Name} has no gradient buffer.");

    // A gradient no consumer has written yet reads as zeros.
    private static DeviceBuffer? Materialized(Node node) => node.GradSlot?.Materialize() ?? node.Grad;

    /// <summary>A build error that names this node and its input shape.</summary>
    protected GraphException ShapeError(IReadOnlyList<Shape> inputs, string problem) =>
        new($"Node '{Name}' ({Kind} {Describe()}) cannot take input {string.Join(", ", inputs)}: {problem}");

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Kind} {Describe()} -> {OutputShape}";
}

/// <summary>A parameter a node asks for: <c>{node}.{Suffix}</c> of <paramref name="Shape"/>, initialised
/// uniformly in ±1/sqrt(<paramref name="FanIn"/>) (PyTorch's default for Conv2d and Linear), or to
/// <paramref name="Constant"/> when one is given (a batch norm's weight 1 and bias 0).</summary>
public sealed record ParameterSpec(string Suffix, Shape Shape, int FanIn, float? Constant = null);

/// <summary>A state tensor a node keeps that is not learned but belongs to the model (PyTorch's buffers: a batch
/// norm's <c>running_mean</c>), named <c>{node}.{Suffix}</c>, starting at <paramref name="Initial"/>.</summary>
public sealed record StateSpec(string Suffix, Shape Shape, float Initial);

/// <summary>What a node needs to run: the accelerator, the batch, the mode, and a per-step seed.</summary>
public sealed class RunContext
{
    internal RunContext(Accelerator accelerator) => Accelerator = accelerator;

    /// <summary>The accelerator the graph lives on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Samples in this batch (at most the graph's maximum).</summary>
    public int Batch { get; internal set; }

    /// <summary>True in training mode (dropout active).</summary>
    public bool Training { get; internal set; }

    /// <summary>A seed that differs every training step, for stochastic layers.</summary>
    public ulong StepSeed { get; internal set; }
}

/// <summary>A graph that cannot be built: a shape mismatch, an unknown name, a cycle.</summary>
public sealed class GraphException(string message) : Exception(message);
