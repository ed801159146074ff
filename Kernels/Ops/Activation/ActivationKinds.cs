namespace GpuCnn.Kernels.Ops;

/// <summary>The one check every switch on <see cref="ActivationKind"/> shares: a value outside the enum (a cast
/// integer, a newer kind a backend has not learned) is an error, never a silent fallback to another function.
/// </summary>
internal static class ActivationKinds
{
    /// <summary>Throws unless <paramref name="kind"/> is a declared <see cref="ActivationKind"/>.</summary>
    public static void Check(ActivationKind kind, string paramName)
    {
        if (!Enum.IsDefined(kind))
        {
            throw Unknown(kind, paramName);
        }
    }

    /// <summary>The error for an activation kind a switch does not handle; thrown by its default arm.</summary>
    public static ArgumentOutOfRangeException Unknown(ActivationKind kind, string paramName) => new(paramName, kind,
        $"Unknown activation kind {(int)kind} ('{kind}'); expected one of " +
        $"{string.Join(", ", Enum.GetNames<ActivationKind>())}.");
}
