namespace GpuCnn.Engine;

/// <summary>
/// SplitMix64: a small, fast generator whose sequence is fixed by its seed on every platform and runtime, so the
/// same seed gives the same initial weights everywhere.
/// </summary>
public sealed class SeededRandom
{
    private ulong state;

    /// <summary>Starts the sequence for <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed) => state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform float in [0, 1).</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>A uniform float in [low, high).</summary>
    public float NextUniform(float low, float high) => low + (high - low) * NextSingle();
}
