using System.Globalization;
using System.Text;

namespace GpuCnn.Cli;

/// <summary>
/// What <c>eval</c> reports beyond the loss: how often the true class is the top-scoring one (top-1) or among the
/// five highest (top-5), the accuracy of each class, and the confusion matrix of true against predicted classes.
/// Samples are added one score vector at a time. The predicted class is the first of the highest scores, as an
/// arg-max takes it; a true class tied with others counts as ranked behind the tied classes before it.
/// </summary>
internal sealed class ConfusionMatrix
{
    /// <summary>The k of the top-k accuracy besides top-1.</summary>
    public const int TopK = 5;

    private readonly long[] counts;
    private readonly long[] ranks = new long[TopK + 1];

    /// <summary>An empty matrix of <paramref name="classes"/> x <paramref name="classes"/>.</summary>
    public ConfusionMatrix(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        Classes = classes;
        counts = new long[(long)classes * classes];
    }

    /// <summary>Rows and columns.</summary>
    public int Classes { get; }

    /// <summary>Samples added.</summary>
    public long Total { get; private set; }

    /// <summary>Samples of true class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int actual, int predicted] => counts[(long)actual * Classes + predicted];

    /// <summary>Adds one sample: its score (or probability) per class and its true class.</summary>
    public void Add(ReadOnlySpan<float> scores, int label)
    {
        if (scores.Length != Classes || (uint)label >= (uint)Classes)
        {
            throw new ArgumentException($"A sample needs {Classes} scores and a label below {Classes}; got " +
                $"{scores.Length} scores and label {label}.");
        }

        int predicted = 0, rank = 0;
        for (int c = 0; c < Classes; c++)
        {
            predicted = scores[c] > scores[predicted] ? c : predicted;
            rank += scores[c] > scores[label] || (scores[c] == scores[label] && c < label) ? 1 : 0;
        }

        counts[(long)label * Classes + predicted]++;
        ranks[Math.Min(rank, TopK)]++;
        Total++;
    }

    /// <summary>The fraction of samples whose true class is among the <paramref name="k"/> highest scores (1 to
    /// <see cref="TopK"/>); NaN before any sample.</summary>
    public double TopAccuracy(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, TopK);
        return Total == 0 ? double.NaN : (double)ranks.Take(k).Sum() / Total;
    }

    /// <summary>Samples whose true class is <paramref name="actual"/>.</summary>
    public long ClassTotal(int actual) => Enumerable.Range(0, Classes).Sum(p => this[actual, p]);

    /// <summary>The fraction of class <paramref name="actual"/>'s samples predicted as that class; NaN when it has
    /// none.</summary>
    public double ClassAccuracy(int actual) =>
        ClassTotal(actual) is var n && n == 0 ? double.NaN : (double)this[actual, actual] / n;

    /// <summary>
    /// The report as text: top-1 (and top-5 beyond 5 classes), each class's accuracy, and the matrix with a row per
    /// true class when it fits <paramref name="width"/> columns (else a pointer to <c>--plot</c>). Rows are named by
    /// class index and, where it says more, <paramref name="label"/>.
    /// </summary>
    public string Format(Func<int, string> label, int width = 100)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"top-1 {TopAccuracy(1):P2}");
        text.AppendLine(Classes > TopK ? string.Create(c, $", top-{TopK} {TopAccuracy(TopK):P2}") : "");
        var heads = RowHeads(label);
        text.AppendLine("per-class accuracy:");
        for (int a = 0; a < Classes; a++)
        {
            long n = ClassTotal(a);
            string share = n == 0 ? "-" : ClassAccuracy(a).ToString("P2", c);
            text.AppendLine(string.Create(c, $"{heads[a]} {share,8} of {n:N0}"));
        }

        int cell = Math.Max(Classes.ToString(c).Length, counts.Max().ToString(c).Length) + 1;
        if (heads[0].Length + Classes * cell > width)
        {
            text.AppendLine($"confusion matrix: {Classes} columns do not fit {width} characters; see --plot.");
            return text.ToString();
        }

        text.AppendLine("confusion matrix (rows: true class, columns: predicted class):");
        text.Append(' ', heads[0].Length);
        text.AppendJoin("", Enumerable.Range(0, Classes).Select(p => p.ToString(c).PadLeft(cell)));
        text.AppendLine();
        for (int a = 0; a < Classes; a++)
        {
            text.Append(heads[a]);
            text.AppendJoin("", Enumerable.Range(0, Classes).Select(p => this[a, p].ToString(c).PadLeft(cell)));
            text.AppendLine();
        }

        return text.ToString();
    }

    // "  3 cat     ", all of one width; the name is left out where it is only the index again.
    private string[] RowHeads(Func<int, string> label)
    {
        var c = CultureInfo.InvariantCulture;
        int digits = (Classes - 1).ToString(c).Length;
        var names = Enumerable.Range(0, Classes)
            .Select(i => label(i) is var n && n == i.ToString(c) ? "" : n.Length <= 16 ? n : n[..15] + "~")
            .ToArray();
        int nameWidth = names.Max(n => n.Length);
        return [.. names.Select((n, i) => "  " + i.ToString(c).PadLeft(digits) +
            (nameWidth > 0 ? " " + n.PadRight(nameWidth) : ""))];
    }
}
