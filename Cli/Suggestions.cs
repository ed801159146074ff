namespace GpuCnn.Cli;

/// <summary>
/// "Did you mean" for a mistyped name (a model, a command, an option or a value): the candidates nearest by edit
/// distance, with a transposition counting as one edit, so that <c>lenet</c> finds <c>lenet5</c>, <c>tran</c>
/// finds <c>train</c> and <c>--epoch</c> finds <c>--epochs</c>, while a name far from all of them finds none.
/// </summary>
internal static class Suggestions
{
    /// <summary>The candidates closest to <paramref name="typed"/> (ignoring case and an option's leading dashes),
    /// at most three, in the order given; none when even the closest needs more edits than a third of its length
    /// (at least 2), or as many as it has characters.</summary>
    public static IReadOnlyList<string> Closest(string typed, IEnumerable<string> candidates)
    {
        var text = Bare(typed);
        var scored = candidates.Distinct().Select(c => (Name: c, Bare: Bare(c)))
            .Select(c => (c.Name, Distance: Distance(text, c.Bare), c.Bare.Length))
            .Where(s => s.Distance <= Math.Max(2, s.Length / 3) && s.Distance < s.Length)
            .ToList();
        if (scored.Count == 0)
        {
            return [];
        }

        var best = scored.Min(s => s.Distance);
        return [.. scored.Where(s => s.Distance == best).Take(3).Select(s => s.Name)];
    }

    /// <summary>"; did you mean 'x'?" (or "'x' or 'y'") for the closest candidates, or "" when none is close.
    /// </summary>
    public static string DidYouMean(string typed, IEnumerable<string> candidates)
    {
        var closest = Closest(typed, candidates);
        return closest.Count == 0 ? "" : $"; did you mean {Quoted(closest)}?";
    }

    /// <summary>'a', 'a' or 'b', 'a', 'b' or 'c'.</summary>
    public static string Quoted(IReadOnlyList<string> names) => names.Count switch
    {
        0 => "",
        1 => $"'{names[0]}'",
        _ => string.Join(", ", names.SkipLast(1).Select(n => $"'{n}'")) + $" or '{names[^1]}'",
    };

    private static string Bare(string name) => name.TrimStart('-').ToLowerInvariant();

    /// <summary>The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
    /// neighbouring characters, each one edit.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
