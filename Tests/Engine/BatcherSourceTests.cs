using GpuCnn.Datasets;
using GpuCnn.Engine.Training;
using Xunit;

namespace GpuCnn.Tests.Engine;

public sealed class BatcherSourceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheSourceYieldsTheBatchersOwnBatches(bool prefetch)
    {
        var batcher = new MnistBatcher(Mnist(9), batchSize: 4, shuffle: true, seed: 3);

        var source = batcher.ToBatchSource(prefetch);
        var expected = batcher.Epoch(2).Select(b => (b.Images.ToArray(), b.Labels.ToArray(), b.Count)).ToList();
        var actual = source.Epoch(2).Select(b => (b.Inputs.ToArray(), b.Labels.ToArray(), b.Count)).ToList();

        Assert.Equal(3, source.BatchCount);
        Assert.Equal(prefetch, source.Prefetches);
        Assert.Equal(expected.Select(b => b.Item1), actual.Select(b => b.Item1));
        Assert.Equal(expected.Select(b => b.Item2), actual.Select(b => b.Item2));
        Assert.Equal([4, 4, 1], actual.Select(b => b.Item3));
    }

    [Fact]
    public void ABatcherWithoutAnEpochOfItsOwnGetsTheInterfacesOne()
    {
        var inner = new MnistBatcher(Mnist(5), batchSize: 2, shuffle: true, seed: 8);
        IBatcher bare = new Bare(inner);

        var expected = inner.Epoch(1).Select(b => b.Labels.Take(b.Count).ToArray()).ToList();
        var actual = bare.Epoch(1).Select(b => b.Labels.Take(b.Count).ToArray()).ToList();

        Assert.Equal(expected, actual);
        Assert.Equal(3, actual.Count);
        Assert.NotEqual(inner.Epoch(2).Select(b => b.Labels.ToArray()), actual);
    }

    private static MnistDataset Mnist(int count) => new(
        [.. Enumerable.Range(0, count * 4).Select(i => (byte)(i * 13))],
        [.. Enumerable.Range(0, count).Select(i => (byte)(i % 10))], rows: 2, columns: 2);

    // Implements only what the interface requires, so Epoch is the interface's default.
    private sealed class Bare(IBatcher inner) : IBatcher
    {
        public int BatchSize => inner.BatchSize;

        public int BatchCount => inner.BatchCount;

        public int[] Order(int epoch) => inner.Order(epoch);

        public Batch CreateBatch() => inner.CreateBatch();

        public void Fill(Batch batch, int epoch, ReadOnlySpan<int> indices) => inner.Fill(batch, epoch, indices);
    }
}
