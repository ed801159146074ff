namespace GpuCnn.Tests.Ops;

/// <summary>
/// Every <see cref="OpDescriptor"/> in the test assembly, and the fixture op each one builds.
/// </summary>
/// <remarks>Descriptors are found by reflection rather than listed, so that adding an op's tests touches no file but
/// its own descriptor; <see cref="OpConformanceTests"/> checks that names and fixture ops are claimed once.</remarks>
internal static class OpRegistry
{
    private static readonly Lazy<IReadOnlyList<OpDescriptor>> Descriptors = new(() => typeof(OpDescriptor).Assembly
        .GetTypes()
        .Where(t => t.IsSubclassOf(typeof(OpDescriptor)) && !t.IsAbstract)
        .Select(t => (OpDescriptor)Activator.CreateInstance(t)!)
        .OrderBy(d => d.Name, StringComparer.Ordinal)
        .ToList());

    public static IReadOnlyList<OpDescriptor> All => Descriptors.Value;

    /// <summary>The descriptor named <paramref name="name"/>.</summary>
    public static OpDescriptor Get(string name) => All.SingleOrDefault(d => d.Name == name) ??
        throw new ArgumentException($"No op descriptor named '{name}'; known: {string.Join(", ", All)}.");

    /// <summary>The descriptor that builds fixtures whose case JSON says "op": <paramref name="op"/>.</summary>
    public static OpDescriptor ForFixture(string op, string path) =>
        All.SingleOrDefault(d => d.FixtureOps.Contains(op)) ?? throw new InvalidOperationException(
            $"{path}: no op descriptor builds fixture op '{op}'; add it to a descriptor's FixtureOps in Tests/Ops.");
}
