using GpuCnn.Datasets;
using GpuCnn.Datasets.Augmentation;
using Xunit;

namespace GpuCnn.Tests.Datasets;

public sealed class BackgroundBatchLoaderTests
{
    private static ImageBatcher Augmented(int count)
    {
        var data = AugmentationTests.RandomImages(count, channels: 3, size: 6, seed: 4);
        var transform = new Compose(new RandomCrop(2), new RandomHorizontalFlip());
        return new ImageBatcher(data, batchSize: 4, shuffle: true, seed: 21, Cifar10.Mean, Cifar10.Std, transform);
    }

    private static List<(float[] Images, int[] Labels, int Count)> Copy(IEnumerable<Batch> batches) =>
        [.. batches.Select(b => (b.Images.ToArray(), b.Labels.ToArray(), b.Count))];

    [Fact]
    public void GivesExactlyTheBatchesOfTheSynchronousEpoch()
    {
        // 23 images in batches of 4: five full batches and a partial one, so the ring wraps around twice.
        var batcher = Augmented(23);
        var loader = new BackgroundBatchLoader(batcher);

        for (int epoch = 1; epoch <= 2; epoch++)
        {
            var expected = Copy(batcher.Epoch(epoch));
            var actual = Copy(loader.Epoch(epoch));

            Assert.Equal(6, actual.Count);
            Assert.Equal(3, actual[^1].Count);
            Assert.Equal(expected.Count, actual.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Images, actual[i].Images);
                Assert.Equal(expected[i].Labels, actual[i].Labels);
                Assert.Equal(expected[i].Count, actual[i].Count);
            }
        }
    }

    [Fact]
    public void ReusesItsRingOfBatches()
    {
        var loader = new BackgroundBatchLoader(Augmented(40), depth: 2);

        var distinct = loader.Epoch(1).Distinct(ReferenceEqualityComparer.Instance).Count();

        Assert.Equal(3, distinct);
    }

    [Fact]
    public void AFailureWhileMakingABatchReachesTheConsumerAtThatStep()
    {
        // Making the batch that holds dataset image 7 fails, wherever the shuffle puts it.
        var batcher = new FailOn(Augmented(20), 7);
        int failingStep = Array.IndexOf(batcher.Order(1), 7) / 4;
        var loader = new BackgroundBatchLoader(batcher);
        int seen = 0;

        var error = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (var _ in loader.Epoch(1))
            {
                seen++;
            }
        });

        Assert.Equal("image 7", error.Message);
        Assert.Equal(failingStep, seen);
        // The loader is free again: the next epoch can start.
        Assert.NotEmpty(Copy(loader.Epoch(2).Take(1)));
    }

    [Fact]
    public void StoppingEarlyStopsTheProducerAndFreesTheLoader()
    {
        var batcher = Augmented(40);
        var loader = new BackgroundBatchLoader(batcher);

        var firstTwo = Copy(loader.Epoch(1).Take(2));
        var again = Copy(loader.Epoch(1));

        Assert.Equal(2, firstTwo.Count);
        Assert.Equal(Copy(batcher.Epoch(1))[1].Images, again[1].Images);
        Assert.Equal(firstTwo[1].Images, again[1].Images);
    }

    [Fact]
    public void CancellationEndsTheEpochWithOperationCanceled()
    {
        var loader = new BackgroundBatchLoader(Augmented(40));
        using var cancellation = new CancellationTokenSource();
        int seen = 0;

        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var _ in loader.Epoch(1, cancellation.Token))
            {
                if (++seen == 3)
                {
                    cancellation.Cancel();
                }
            }
        });

        Assert.Equal(3, seen);
    }

    [Fact]
    public void OneEpochAtATime()
    {
        var loader = new BackgroundBatchLoader(Augmented(12));
        using var first = loader.Epoch(1).GetEnumerator();
        Assert.True(first.MoveNext());

        Assert.Throws<InvalidOperationException>(() => loader.Epoch(2).First());
    }

    [Fact]
    public void WorksOverTheMnistBatcher()
    {
        var mnist = new MnistDataset(Enumerable.Range(0, 9 * 4).Select(i => (byte)(i * 7)).ToArray(),
            [0, 1, 2, 3, 4, 5, 6, 7, 8], rows: 2, columns: 2);
        var batcher = new MnistBatcher(mnist, batchSize: 2, shuffle: true, seed: 3);

        var expected = Copy(batcher.Epoch(1));
        var actual = Copy(new BackgroundBatchLoader(batcher).Epoch(1));

        Assert.Equal(expected.Select(b => b.Images), actual.Select(b => b.Images));
        Assert.Equal(expected.Select(b => b.Labels), actual.Select(b => b.Labels));
    }

    private sealed class FailOn(IBatcher inner, int index) : IBatcher
    {
        public int BatchSize => inner.BatchSize;

        public int BatchCount => inner.BatchCount;

        public int[] Order(int epoch) => inner.Order(epoch);

        public Batch CreateBatch() => inner.CreateBatch();

        public void Fill(Batch batch, int epoch, ReadOnlySpan<int> indices)
        {
            if (indices.Contains(index))
            {
                throw new InvalidDataException($"image {index}");
            }
            inner.Fill(batch, epoch, indices);
        }
    }
}
