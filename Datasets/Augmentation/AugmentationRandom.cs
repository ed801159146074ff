namespace GpuCnn.Datasets.Augmentation;

/// <summary>
/// The random numbers of one image in one epoch. It depends only on (seed, epoch, index), never on which thread asks
/// or in what order, so augmented batches repeat exactly for a seed, with or without a background loader.
/// </summary>
public struct AugmentationRandom
{
    // Keeps the augmentation streams apart from the shuffle's, which hashes the same seed with the epoch alone.
    private const ulong Domain = 0xA076_1D64_78BD_642FUL;
    private SplitMix64 generator;

    /// <summary>The generator of image <paramref name="index"/> in epoch <paramref name="epoch"/>.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="epoch">The epoch number.</param>
    /// <param name="index">The image's index in its dataset (not its position in the shuffled epoch).</param>
    public AugmentationRandom(ulong seed, int epoch, int index)
    {
        ulong stream = ((ulong)(uint)epoch << 32) | (uint)index;
        generator = SplitMix64.ForStream(seed ^ Domain, stream);
    }

    /// <summary>Returns an integer uniform in [0, <paramref name="bound"/>).</summary>
    public int NextBelow(int bound) => generator.NextBelow(bound);

    /// <summary>Returns true with probability <paramref name="probability"/>; always draws one number.</summary>
    public bool NextBool(double probability)
    {
        // 53 random bits give every double in [0, 1) on a grid of 2^-53, as Random.NextDouble does.
        double uniform = (generator.Next() >> 11) * (1.0 / (1UL << 53));
        return uniform < probability;
    }
}
