namespace GpuCnn.Engine.Checkpoints;

/// <summary>A tensor present under the same name in the file and the network, but with another shape.</summary>
/// <param name="Name">The parameter name, e.g. <c>fc3.weight</c>.</param>
/// <param name="FileShape">Its shape in the file.</param>
/// <param name="NetworkShape">Its shape in the network.</param>
public sealed record ShapeMismatch(string Name, IReadOnlyList<int> FileShape, Shape NetworkShape)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} ({string.Join(", ", FileShape)}) in the file, {NetworkShape} here";
}

/// <summary>
/// What <see cref="Checkpoint.LoadMatching"/> did, in PyTorch's terms (<c>load_state_dict(strict=False)</c>
/// returns missing and unexpected keys): the parameters loaded, those kept at their initial values because the
/// file holds another shape (a replaced classifier head), those the file lacks, and the file's tensors the network
/// has no parameter for. Optimizer state in the file is not a parameter and is left out of all four lists.
/// </summary>
public sealed record LoadReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<ShapeMismatch> Skipped,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected)
{
    /// <summary>Parameters the file fits but the caller asked to leave as they are.</summary>
    public IReadOnlyList<string> Excluded { get; init; } = [];

    /// <summary>True when every parameter of the network was loaded and the file held nothing else.</summary>
    public bool IsExact => Excluded.Count == 0 && Skipped.Count == 0 && Missing.Count == 0 && Unexpected.Count == 0;

    /// <summary>Lines for a person: one per list that is not empty.</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"loaded {Loaded.Count}: {List(Loaded)}";
        if (Excluded.Count > 0)
        {
            yield return $"excluded (kept initial values) {Excluded.Count}: {List(Excluded)}";
        }

        if (Skipped.Count > 0)
        {
            yield return $"skipped (shape differs) {Skipped.Count}: {string.Join("; ", Skipped)}";
        }

        if (Missing.Count > 0)
        {
            yield return $"not in the file (kept initial values) {Missing.Count}: {List(Missing)}";
        }

        if (Unexpected.Count > 0)
        {
            yield return $"in the file only (ignored) {Unexpected.Count}: {List(Unexpected)}";
        }
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(Environment.NewLine, Describe());

    private static string List(IReadOnlyList<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);
}
