using System.Globalization;
using System.Text;

namespace GpuCnn.Engine;

/// <summary>One row of a model summary.</summary>
public sealed record SummaryRow(string Name, string Kind, string Details, Shape OutputShape, long Parameters,
    long MultiplyAdds);

/// <summary>Per-node output shape, parameter count and multiply-adds, with totals: what <c>gpucnn summary</c>
/// prints, one line per node in the manner of Darknet and Keras.</summary>
public sealed class ModelSummary
{
    private ModelSummary(IReadOnlyList<SummaryRow> rows) => Rows = rows;

    /// <summary>Rows in schedule order, the input first.</summary>
    public IReadOnlyList<SummaryRow> Rows { get; }

    /// <summary>Total learnable parameters.</summary>
    public long TotalParameters => Rows.Sum(r => r.Parameters);

    /// <summary>Total multiply-adds of one forward pass of one sample.</summary>
    public long TotalMultiplyAdds => Rows.Sum(r => r.MultiplyAdds);

    /// <summary>Summarises a built network.</summary>
    public static ModelSummary Of(Network network) => new(network.Nodes
        .Select(n => new SummaryRow(n.Name, n.Kind, n.Describe(), n.OutputShape,
            n.Parameters.Sum(p => (long)p.Length), n.MultiplyAdds))
        .ToList());

    /// <summary>A fixed-width table.</summary>
    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"{"node",-10} {"layer",-10} {"details",-24} {"output",-16} {"params",12} {"mult-adds",14}");
        foreach (var r in Rows)
        {
            sb.AppendLine(c, $"{r.Name,-10} {r.Kind,-10} {r.Details,-24} {r.OutputShape.ToString(),-16} " +
                $"{r.Parameters,12:N0} {r.MultiplyAdds,14:N0}");
        }

        sb.AppendLine(c, $"{"total",-10} {"",-10} {"",-24} {"",-16} {TotalParameters,12:N0} {TotalMultiplyAdds,14:N0}");
        return sb.ToString();
    }
}
