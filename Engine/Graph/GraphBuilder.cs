using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Engine;

/// <summary>
/// Builds a graph functionally: <c>var h = g.Conv2d(x, 6, 5, padding: 2);</c>. Nodes are named after their
/// kind and a counter (<c>conv1</c>, <c>fc2</c>) unless a name is given; <see cref="Build"/> checks every shape,
/// creates the parameters and plans the device buffers.
/// </summary>
public sealed class GraphBuilder
{
    private readonly List<Node> nodes = [];
    private readonly Dictionary<string, int> counters = [];
    private readonly HashSet<string> names = [];

    /// <summary>Declares the input of one sample, e.g. (1, 28, 28).</summary>
    public Node Input(Shape shape, bool requiresGrad = false, string name = "input") =>
        Register(new InputNode(shape, requiresGrad), name, null);

    /// <summary>2-D convolution with a square kernel and symmetric padding (PyTorch's Conv2d).</summary>
    public Node Conv2d(Node x, int outChannels, int kernel, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true, string? name = null) =>
        Conv2d(x, outChannels, kernel, stride, Padding2d.Symmetric(padding), dilation, groups, bias, name);

    /// <summary>
    /// 2-D convolution with a padding rule (explicit, <c>valid</c>, <c>same</c> or <c>full</c>) and what the
    /// padding holds (<paramref name="paddingMode"/>: zeros, constant <paramref name="paddingValue"/>, replicate,
    /// reflect, symmetric or circular).
    /// </summary>
    public Node Conv2d(Node x, int outChannels, int kernel, int stride, Padding2d padding, int dilation = 1,
        int groups = 1, bool bias = true, string? name = null, PaddingMode paddingMode = PaddingMode.Zeros,
        float paddingValue = 0f)
    {
        if (outChannels < 1 || kernel < 1 || stride < 1 || dilation < 1 || groups < 1)
        {
            throw new GraphException(
                $"Conv2d needs positive out channels, kernel, stride, dilation and groups; got {outChannels}, " +
                $"{kernel}, {stride}, {dilation}, {groups}.");
        }

        return Register(new Conv2dNode(x, outChannels, kernel, kernel, stride, stride, padding, dilation, dilation,
            groups, bias, paddingMode, paddingValue), name, "conv");
    }

    /// <summary>Explicit padding (top, left, bottom, right) filled as <paramref name="mode"/> says.</summary>
    public Node Pad2d(Node x, int top, int left, int bottom, int right, PaddingMode mode = PaddingMode.Zeros,
        float value = 0f, string? name = null) => top >= 0 && left >= 0 && bottom >= 0 && right >= 0
        ? Register(new Pad2dNode(x, top, left, bottom, right, mode, value), name, "pad")
        : throw new GraphException($"Pad2d amounts must not be negative: ({top}, {left}, {bottom}, {right}).");

    /// <summary>Batch normalisation over channels (PyTorch's BatchNorm2d defaults).</summary>
    public Node BatchNorm2d(Node x, float eps = 1e-5f, float momentum = 0.1f, bool affine = true,
        string? name = null) => eps > 0 && momentum is >= 0 and <= 1
        ? Register(new BatchNorm2dNode(x, eps, momentum, affine), name, "bn")
        : throw new GraphException($"BatchNorm2d needs eps > 0 and momentum in [0, 1]; got {eps} and {momentum}.");

    /// <summary>Local response normalisation across <paramref name="size"/> channels (PyTorch's
    /// LocalResponseNorm: alpha is divided by the size).</summary>
    public Node LocalResponseNorm(Node x, int size, float alpha = 1e-4f, float beta = 0.75f, float k = 1f,
        string? name = null) => size >= 1 && k > 0 && alpha >= 0
        ? Register(new LocalResponseNormNode(x, size, alpha, beta, k), name, "lrn")
        : throw new GraphException(
            $"LocalResponseNorm needs size >= 1, k > 0 and alpha >= 0; got {size}, {k}, {alpha}.");

    /// <summary>The mean of each channel, (C, H, W) to (C, 1, 1).</summary>
    public Node GlobalAvgPool2d(Node x, string? name = null) => Register(new GlobalAvgPool2dNode(x), name, "gap");

    /// <summary>Element-wise a + b (a residual connection).</summary>
    public Node Add(Node a, Node b, string? name = null) => Register(new AddNode(a, b), name, "add");

    /// <summary>Concatenation along channels, in the order given.</summary>
    public Node Concat(IReadOnlyList<Node> inputs, string? name = null) => inputs.Count >= 1
        ? Register(new ConcatNode([.. inputs]), name, "cat")
        : throw new GraphException("Concat needs at least one input.");

    /// <summary>Max pooling; the stride defaults to the kernel size; <paramref name="ceilMode"/> rounds the output
    /// size up as PyTorch's ceil_mode does.</summary>
    public Node MaxPool2d(Node x, int kernel, int? stride = null, int padding = 0, string? name = null,
        bool ceilMode = false) =>
        Register(new Pool2dNode(x, true, kernel, CheckedStride(kernel, stride), padding, ceilMode), name, "pool");

    /// <summary>Average pooling; the stride defaults to the kernel size; <paramref name="ceilMode"/> rounds the
    /// output size up as PyTorch's ceil_mode does.</summary>
    public Node AvgPool2d(Node x, int kernel, int? stride = null, int padding = 0, string? name = null,
        bool ceilMode = false) =>
        Register(new Pool2dNode(x, false, kernel, CheckedStride(kernel, stride), padding, ceilMode), name, "pool");

    /// <summary>max(0, x).</summary>
    public Node Relu(Node x, string? name = null) => Register(new ActivationNode(x, ActivationKind.Relu), name, "relu");

    /// <summary>tanh(x).</summary>
    public Node Tanh(Node x, string? name = null) => Register(new ActivationNode(x, ActivationKind.Tanh), name, "tanh");

    /// <summary>1/(1+exp(-x)).</summary>
    public Node Sigmoid(Node x, string? name = null) =>
        Register(new ActivationNode(x, ActivationKind.Sigmoid), name, "sigmoid");

    /// <summary>Softmax over features.</summary>
    public Node Softmax(Node x, string? name = null) => Register(new SoftmaxNode(x), name, "softmax");

    /// <summary>Flattens (C, H, W) to (C*H*W) without a copy.</summary>
    public Node Flatten(Node x, string? name = null) => Register(new FlattenNode(x), name, "flatten");

    /// <summary>Fully connected layer (PyTorch's Linear).</summary>
    public Node Linear(Node x, int outFeatures, bool bias = true, string? name = null) => outFeatures >= 1
        ? Register(new LinearNode(x, outFeatures, bias), name, "fc")
        : throw new GraphException($"Linear needs at least one output feature, got {outFeatures}.");

    /// <summary>Inverted dropout with drop probability <paramref name="p"/>.</summary>
    public Node Dropout(Node x, float p, string? name = null) => Register(new DropoutNode(x, p), name, "dropout");

    /// <summary>
    /// Checks shapes, orders the nodes, creates and initialises parameters from <paramref name="seed"/>, and
    /// allocates buffers for batches of up to <paramref name="maxBatch"/> samples on <paramref name="accelerator"/>.
    /// </summary>
    public Network Build(Node output, Accelerator accelerator, int maxBatch = 64, ulong seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        var schedule = InferShapes(output);

        var instances = new Dictionary<Node, Node>(ReferenceEqualityComparer.Instance);
        foreach (var node in schedule)
        {
            instances[node] = node.Instantiate(node.Inputs.Select(i => instances[i]).ToArray());
        }

        try
        {
            return new Network(schedule.Select(n => instances[n]).ToList(), instances, accelerator, maxBatch, seed);
        }
        catch (DeviceMemoryException e)
        {
            throw new DeviceMemoryException($"The network ending in '{output.Name}' does not fit on " +
                $"{accelerator.Name} with batches of {maxBatch}: {e.Message}", e.BytesNeeded, e);
        }
    }

    /// <summary>Orders the graph ending in <paramref name="output"/> and infers every node's shape, input first.
    /// </summary>
    internal List<Node> InferShapes(Node output)
    {
        var schedule = Schedule(output);
        foreach (var node in schedule)
        {
            var shape = node.InferShape(node.Inputs.Select(i => i.OutputShape).ToArray());
            node.SetShape(shape);
            node.RequiresGrad |= node.DeclareParameters().Any() || node.Inputs.Any(i => i.RequiresGrad);
        }

        return schedule;
    }

    private static int CheckedStride(int kernel, int? stride)
    {
        var s = stride ?? kernel;
        return kernel >= 1 && s >= 1
            ? s
            : throw new GraphException($"Pooling needs a positive kernel and stride, got {kernel} and {s}.");
    }

    // Depth-first from the output: only nodes that feed it are scheduled, inputs before consumers.
    private List<Node> Schedule(Node output)
    {
        var order = new List<Node>();
        var state = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        Visit(output);
        if (order.Count(n => n is InputNode) != 1)
        {
            throw new GraphException($"A graph needs exactly one input; '{output.Name}' depends on " +
                $"{order.Count(n => n is InputNode)}.");
        }

        for (var i = 0; i < order.Count; i++)
        {
            order[i].Index = i;
        }

        return order;

        void Visit(Node node)
        {
            if (!nodes.Contains(node))
            {
                throw new GraphException($"Node '{node.Name}' was made by another GraphBuilder.");
            }

            switch (state.GetValueOrDefault(node))
            {
                case 2:
                    return;
                case 1:
                    throw new GraphException($"The graph has a cycle through '{node.Name}'.");
            }

            state[node] = 1;
            foreach (var input in node.Inputs)
            {
                Visit(input);
            }

            state[node] = 2;
            order.Add(node);
        }
    }

    private Node Register(Node node, string? name, string? prefix)
    {
        if (name is null)
        {
            var count = counters.GetValueOrDefault(prefix!) + 1;
            counters[prefix!] = count;
            name = $"{prefix}{count}";
        }

        if (!names.Add(name))
        {
            throw new GraphException($"Two nodes are named '{name}'; node names must be unique.");
        }

        node.Name = name;
        nodes.Add(node);
        return node;
    }
}
