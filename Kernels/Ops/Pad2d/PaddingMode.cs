namespace GpuCnn.Kernels.Ops;

/// <summary>
/// What a padded border holds (seed 002). With the input row a b c d and two pixels of padding on the left:
/// <c>Zeros</c> 0 0 | a b c d, <c>Constant</c> v v | a b c d, <c>Replicate</c> a a | a b c d,
/// <c>Reflect</c> c b | a b c d (the edge is not repeated), <c>Symmetric</c> b a | a b c d (the edge is
/// repeated; numpy's "symmetric"), <c>Circular</c> c d | a b c d (wraps around).
/// </summary>
public enum PaddingMode
{
    /// <summary>Zeros.</summary>
    Zeros,

    /// <summary>A constant value.</summary>
    Constant,

    /// <summary>The edge pixel repeated.</summary>
    Replicate,

    /// <summary>Mirrored about the edge pixel, which is not repeated (needs padding below the size).</summary>
    Reflect,

    /// <summary>Mirrored with the edge pixel repeated (needs padding at most the size).</summary>
    Symmetric,

    /// <summary>Wrapped around from the opposite side (needs padding at most the size).</summary>
    Circular,
}
