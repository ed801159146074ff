using System.Globalization;
using System.Text;
using GpuCnn.Engine.Nodes;

namespace GpuCnn.Engine;

/// <summary>One row of a model summary. <paramref name="ReceptiveField"/> is the side of the input window one
/// output element sees; <paramref name="ActivationBytes"/> the output's size for one sample.</summary>
public sealed record SummaryRow(string Name, string Kind, string Details, Shape OutputShape, long Parameters,
    long MultiplyAdds, long ActivationBytes, int ReceptiveField);

/// <summary>One tensor a checkpoint of the model holds, named as PyTorch's state_dict names it
/// (<c>layer1.0.bn1.running_mean</c>): a learned parameter, or state such as a running statistic.</summary>
public sealed record SummaryTensor(string Name, Shape Shape, bool IsParameter);

/// <summary>Per-node output shape, parameters, multiply-adds, activation memory and receptive field, with totals:
/// what <c>gpucnn summary</c> prints, one line per node in the manner of Darknet and Keras.</summary>
public sealed class ModelSummary
{
    private ModelSummary(IReadOnlyList<SummaryRow> rows, IReadOnlyList<SummaryTensor> tensors)
    {
        Rows = rows;
        Tensors = tensors;
    }

    /// <summary>Rows in schedule order, the input first.</summary>
    public IReadOnlyList<SummaryRow> Rows { get; }

    /// <summary>Every parameter and state tensor in schedule order, each node's parameters before its state: the
    /// names and shapes a checkpoint of the model holds.</summary>
    public IReadOnlyList<SummaryTensor> Tensors { get; }

    /// <summary>Total learnable parameters.</summary>
    public long TotalParameters => Rows.Sum(r => r.Parameters);

    /// <summary>Total multiply-adds of one forward pass of one sample.</summary>
    public long TotalMultiplyAdds => Rows.Sum(r => r.MultiplyAdds);

    /// <summary>Floating-point operations of one forward pass of one sample (two per multiply-add).</summary>
    public long ForwardFlops => 2 * TotalMultiplyAdds;

    /// <summary>
    /// Device memory of a training step at <paramref name="batch"/>: parameters, their gradients and
    /// <paramref name="optimizerStatesPerParameter"/> optimizer tensors (Adam keeps 2, SGD with momentum 1), plus
    /// every activation and its gradient (views such as Flatten share their input's memory).
    /// </summary>
    public long TrainingStepBytes(int batch, int optimizerStatesPerParameter = 2) =>
        TotalParameters * sizeof(float) * (2 + optimizerStatesPerParameter) +
        2L * batch * Rows.Where(r => r.Kind != "Flatten").Sum(r => r.ActivationBytes);

    /// <summary>Summarises a built network.</summary>
    public static ModelSummary Of(Network network) =>
        Of(network.Nodes, network.InputShape, n => n.Parameters.Select(p => new SummaryTensor(p.Name, p.Shape, true))
            .Concat(n.States.Select(t => new SummaryTensor(t.Name, t.Shape, false))));

    /// <summary>
    /// Summarises the graph ending in <paramref name="output"/> without building it: shapes are inferred and
    /// parameters counted, but nothing is allocated, so the largest architectures can be inspected anywhere.
    /// </summary>
    public static ModelSummary Of(GraphBuilder builder, Node output)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var schedule = builder.InferShapes(output);
        return Of(schedule, schedule[0].OutputShape, n =>
            n.DeclareParameters().Select(p => new SummaryTensor($"{n.Name}.{p.Suffix}", p.Shape, true))
                .Concat(n.DeclareState().Select(t => new SummaryTensor($"{n.Name}.{t.Suffix}", t.Shape, false))));
    }

    private static ModelSummary Of(IReadOnlyList<Node> nodes, Shape input,
        Func<Node, IEnumerable<SummaryTensor>> tensors)
    {
        var all = new List<SummaryTensor>();
        // Receptive field and the input stride ("jump") of one output step, per node, following the chain:
        // r_out = r_in + (k - 1) * dilation * j_in and j_out = j_in * stride; the widest input wins at a join.
        // Padding lets a window hang over the border, so the field may exceed the image; it is not clipped.
        var field = new Dictionary<Node, (int Field, int Jump)>(ReferenceEqualityComparer.Instance);
        var rows = new List<SummaryRow>();
        var whole = input.Rank == 3 ? Math.Max(input[1], input[2]) : 1;
        foreach (var node in nodes)
        {
            var (r, j) = node.Inputs.Count == 0 ? (1, 1) : node.Inputs.Select(i => field[i]).MaxBy(f => f.Field);
            (r, j) = node.ReceptiveField(r, j, whole);
            field[node] = (r, j);
            var own = tensors(node).ToList();
            all.AddRange(own);
            rows.Add(new SummaryRow(node.Name, node.Kind, node.Describe(), node.OutputShape,
                own.Where(t => t.IsParameter).Sum(t => (long)t.Shape.Size), node.MultiplyAdds,
                (long)node.OutputShape.Size * sizeof(float), r));
        }

        return new ModelSummary(rows, all);
    }

    /// <summary>A fixed-width table with totals; the training-step memory is given at <paramref name="batch"/>.
    /// </summary>
    public string ToText(int batch = 64)
    {
        // The text columns widen to the longest entry (dotted names such as layer1.0.downsample.0 are long).
        var nameWidth = Math.Max(10, Rows.Max(r => r.Name.Length));
        var kindWidth = Math.Max(10, Rows.Max(r => r.Kind.Length));
        var detailsWidth = Math.Max(24, Rows.Max(r => r.Details.Length));
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"{"node".PadRight(nameWidth)} {"layer".PadRight(kindWidth)} " +
            $"{"details".PadRight(detailsWidth)} {"output",-16} {"params",12} {"mult-adds",14} {"memory",10} " +
            $"{"field",6}");
        foreach (var r in Rows)
        {
            sb.AppendLine(c, $"{r.Name.PadRight(nameWidth)} {r.Kind.PadRight(kindWidth)} " +
                $"{r.Details.PadRight(detailsWidth)} {r.OutputShape.ToString(),-16} {r.Parameters,12:N0} " +
                $"{r.MultiplyAdds,14:N0} {Bytes(r.ActivationBytes),10} {r.ReceptiveField,6}");
        }

        sb.AppendLine(c, $"{"total".PadRight(nameWidth)} {"".PadRight(kindWidth)} {"".PadRight(detailsWidth)} " +
            $"{"",-16} {TotalParameters,12:N0} {TotalMultiplyAdds,14:N0}");
        sb.AppendLine(c, $"parameters: {TotalParameters:N0} ({Bytes(TotalParameters * sizeof(float))}); forward: " +
            $"{ForwardFlops / 1e6:N1} MFLOP per sample; training step at batch {batch} with Adam: " +
            $"{Bytes(TrainingStepBytes(batch))}");
        return sb.ToString();
    }

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };
}
