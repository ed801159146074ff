namespace GpuCnn.Engine;

/// <summary>
/// SplitMix64 (the shared <c>Common/SplitMix64.cs</c>): a small, fast generator whose sequence is fixed by its seed
/// on every platform and runtime, so the same seed gives the same initial weights everywhere.
/// </summary>
public sealed class SeededRandom
{
    private SplitMix64 generator;

    /// <summary>Starts the sequence for <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed) => generator = new SplitMix64(seed);

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => generator.Next();

    /// <summary>A uniform float in [0, 1).</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>A uniform float in [low, high).</summary>
    public float NextUniform(float low, float high) => low + (high - low) * NextSingle();
}
