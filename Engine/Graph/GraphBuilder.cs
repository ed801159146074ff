using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;

namespace GpuCnn.Engine;

/// <summary>
/// Builds a graph functionally: <c>var h = g.Conv2d(x, 6, 5, padding: 2);</c>. Nodes are named after their
/// kind and a counter (<c>conv1</c>, <c>fc2</c>) unless a name is given; <see cref="Build"/> checks every shape,
/// creates the parameters and plans the device buffers.
/// </summary>
/// <remarks>This file holds the plumbing (naming, scheduling, shape inference, building); each layer's method sits
/// in <c>Engine/Layers/&lt;Layer&gt;.cs</c> with its node and its <see cref="Sequential"/> record.</remarks>
public sealed partial class GraphBuilder
{
    private readonly List<Node> nodes = [];
    private readonly Dictionary<string, int> counters = [];
    private readonly HashSet<string> names = [];

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
