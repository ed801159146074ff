// One source, compiled into two assemblies that share no reference (Datasets stands alone; Engine sits on
// Kernels): each project links this file (<Compile Include="../Common/SplitMix64.cs" />) and gets its own internal
// copy of the type, in its own namespace so that a project seeing both (the tests) can tell them apart.
#if GPUCNN_ENGINE
namespace GpuCnn.Engine;
#else
namespace GpuCnn.Datasets;
#endif

/// <summary>
/// Steele, Lea and Flood's SplitMix64 generator. Shuffles and initial weights depend on this exact sequence, so
/// that a seed reproduces the same batches and weights on every runtime, which <see cref="Random"/> does not
/// promise.
/// </summary>
internal struct SplitMix64
{
    private ulong state;

    /// <summary>Starts the sequence at <paramref name="seed"/>.</summary>
    public SplitMix64(ulong seed) => state = seed;

    /// <summary>Returns the next 64 random bits.</summary>
    public ulong Next()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Returns an integer uniform in [0, <paramref name="bound"/>).</summary>
    public int NextBelow(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        // Lemire's multiply-and-reject: a plain modulo would favour small values whenever bound does not divide 2^32.
        uint range = (uint)bound;
        ulong product = (Next() >> 32) * range;
        uint low = (uint)product;
        if (low < range)
        {
            uint threshold = (0u - range) % range;
            while (low < threshold)
            {
                product = (Next() >> 32) * range;
                low = (uint)product;
            }
        }
        return (int)(product >> 32);
    }

    /// <summary>
    /// A generator for one (seed, stream) pair. Both halves are hashed before they meet, so neighbouring seeds or
    /// streams do not give overlapping sequences.
    /// </summary>
    public static SplitMix64 ForStream(ulong seed, ulong stream)
    {
        ulong a = new SplitMix64(seed).Next();
        ulong b = new SplitMix64(stream ^ 0x6A09E667F3BCC909UL).Next();
        return new SplitMix64(a ^ b);
    }
}
