namespace GpuCnn.Kernels.Ops;

/// <summary>
/// A stateless generator: the value for (seed, index) is a hash of the two, so every element of a dropout mask
/// can be drawn in parallel and the OpenCL kernel draws the same numbers as the CPU.
/// </summary>
public static class CounterRandom
{
    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    public static float Uniform(ulong seed, uint index)
    {
        // Two rounds of a 32-bit avalanche mix (the "lowbias32" constants) over the seed's halves and the index.
        var h = Mix((uint)seed ^ Mix(index ^ (uint)(seed >> 32)));
        return (h >> 8) * (1f / 16777216f);
    }

    private static uint Mix(uint x)
    {
        x ^= x >> 16;
        x *= 0x7feb352dU;
        x ^= x >> 15;
        x *= 0x846ca68bU;
        x ^= x >> 16;
        return x;
    }
}
