using System.Runtime.Intrinsics;

namespace GpuCnn.Kernels.Ops;

/// <summary>
/// A stateless generator: the value for (seed, index) is a hash of the two, so every element of a dropout mask
/// can be drawn in parallel and the OpenCL kernel draws the same numbers as the CPU.
/// </summary>
public static class CounterRandom
{
    private const uint M1 = 0x7feb352dU;
    private const uint M2 = 0x846ca68bU;

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    public static float Uniform(ulong seed, uint index)
    {
        // Two rounds of a 32-bit avalanche mix (the "lowbias32" constants) over the seed's halves and the index.
        var h = Mix((uint)seed ^ Mix(index ^ (uint)(seed >> 32)));
        return (h >> 8) * (1f / 16777216f);
    }

    /// <summary><see cref="Uniform"/> for the eight indices start, start+1, ... start+7 at once.</summary>
    public static Vector256<float> Uniform8(ulong seed, uint start)
    {
        var index = Vector256.Create(start) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        var h = Mix(Vector256.Create((uint)seed) ^ Mix(index ^ Vector256.Create((uint)(seed >> 32))));
        return Vector256.ConvertToSingle(Vector256.AsInt32(Vector256.ShiftRightLogical(h, 8))) *
            Vector256.Create(1f / 16777216f);
    }

    private static uint Mix(uint x)
    {
        x ^= x >> 16;
        x *= M1;
        x ^= x >> 15;
        x *= M2;
        x ^= x >> 16;
        return x;
    }

    private static Vector256<uint> Mix(Vector256<uint> x)
    {
        x ^= Vector256.ShiftRightLogical(x, 16);
        x *= Vector256.Create(M1);
        x ^= Vector256.ShiftRightLogical(x, 15);
        x *= Vector256.Create(M2);
        x ^= Vector256.ShiftRightLogical(x, 16);
        return x;
    }
}
