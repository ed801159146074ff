using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>The counter-based generator dropout's mask is drawn from, and the probabilities dropout rejects. That
/// every backend reproduces <see cref="CounterRandom"/> exactly is the Dropout descriptor's check (Tests/Ops).
/// </summary>
public sealed class DropoutOracleTests
{
    [Fact]
    public void CounterRandomIsUniformOnTheUnitInterval()
    {
        const int Count = 100_000;
        var values = Enumerable.Range(0, Count).Select(i => CounterRandom.Uniform(99, (uint)i)).ToArray();

        Assert.All(values, v => Assert.InRange(v, 0f, 1f - 1e-9f));

        // Mean 1/2 and a fraction below 0.3 of 0.3, each well inside ten standard errors (~0.0015).
        Assert.InRange(values.Average(), 0.49, 0.51);
        Assert.InRange(values.Count(v => v < 0.3f) / (double)Count, 0.29, 0.31);

        // Neighbouring indices must not be correlated: a counter hash that leaked the index would fail this.
        var lag1 = Enumerable.Range(0, Count - 1).Average(i => (values[i] - 0.5) * (values[i + 1] - 0.5));
        Assert.InRange(lag1, -0.002, 0.002);
    }

    [Fact]
    public void BothHalvesOfTheSeedChangeTheMask()
    {
        static int Differences(ulong a, ulong b) => Enumerable.Range(0, 1000)
            .Count(i => CounterRandom.Uniform(a, (uint)i) != CounterRandom.Uniform(b, (uint)i));

        // Seeds differing only in the high word (or only in the low word) must still give unrelated streams.
        Assert.True(Differences(5, 5 | (1UL << 40)) > 990);
        Assert.True(Differences(1UL << 40, (1UL << 40) | 1) > 990);
        Assert.Equal(0, Differences(123, 123));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void ProbabilityOutsideZeroToOneIsRejected(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var (x, mask, y) = (acc.Filled(4, 1f), acc.Allocate(4), acc.Allocate(4));
        foreach (var p in new[] { 1f, -0.1f, float.NaN })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => acc.DropoutForward(x, mask, y, 4, p, 1));
            Assert.Equal("p", error.ParamName);
        }
    }
}
