using GpuCnn.Datasets;
using Xunit;

namespace GpuCnn.Tests.Datasets;

public sealed class SplitMix64Tests
{
    [Fact]
    public void MatchesPublishedSequenceForSeed1234567()
    {
        var rng = new SplitMix64(1234567);

        ulong[] expected =
        [
            6457827717110365317UL, 3203168211198807973UL, 9817491932198370423UL,
            4593380528125082431UL, 16408922859458223821UL,
        ];
        foreach (ulong value in expected)
        {
            Assert.Equal(value, rng.Next());
        }
    }

    [Fact]
    public void NextBelowStaysInRangeAndCoversIt()
    {
        var rng = new SplitMix64(9);
        var hits = new int[7];
        for (int i = 0; i < 7000; i++)
        {
            hits[rng.NextBelow(7)]++;
        }

        // Each bucket expects 1000; 800 is over six standard deviations away.
        Assert.All(hits, count => Assert.InRange(count, 800, 1200));
    }
}
