using GpuCnn.Engine;
using GpuCnn.Engine.Distributed;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine.Distributed;

/// <summary>
/// The bucketed gradient reduction of <see cref="DataParallel"/> on ranks that are threads of this process: shards
/// of uneven size (one may be empty), buckets of uneven size, and the result compared with one process's gradient
/// of the whole batch.
/// </summary>
public sealed class DataParallelTests
{
    private const long SmallBuckets = 8 << 10;

    [Fact]
    public void BucketsHoldTheParametersInReverseOrderUnderTheByteBudget()
    {
        using var acc = new CpuAccelerator(1);
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 2, seed: 1);
        var plan = new GradientBuckets(net.Parameters(), SmallBuckets);

        var order = plan.Buckets.SelectMany(b => b.Parameters).Select(p => p.Name).ToList();
        Assert.Equal(net.Parameters().Reverse().Select(p => p.Name), order);
        Assert.All(plan.Buckets, b => Assert.True(b.Parameters.Length == 1 || 4L * b.Length <= SmallBuckets,
            $"A bucket of {b.Length} floats holds {b.Parameters.Length} parameters."));
        // fc3 and fc2's bias share the first bucket; fc2's and fc1's weights exceed the budget alone.
        Assert.Equal(["fc3.bias", "fc3.weight", "fc2.bias"], plan.Buckets[0].Parameters.Select(p => p.Name));
        Assert.Equal(10 + 840 + 84, plan.Buckets[0].Length);
        Assert.Equal(48000, plan.Buckets.Single(b => b.Parameters[0].Name == "fc1.weight").Length);
        Assert.True(plan.Buckets.Select(b => b.Length).Distinct().Count() >= 5, "Expected uneven buckets.");
    }

    [Theory]
    [InlineData(2, 7, SmallBuckets)] // shards of 3 and 4, seven buckets of uneven size
    [InlineData(3, 2, SmallBuckets)] // shards of 0, 1 and 1: an empty shard adds zeros with zero weight
    [InlineData(2, 8, DataParallel.DefaultBucketBytes)] // one bucket for all of LeNet-5
    public void RanksEndWithTheOneProcessGradientOfTheWholeBatch(int ranks, int batch, long bucketBytes)
    {
        var (inputs, labels) = CheckpointTests.RandomBatch(batch);
        using var acc = new CpuAccelerator(1);
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: batch, seed: 3);
        using var sgd = new Sgd(net.Parameters(), 0.1f, momentum: 0f);
        using var trainer = new Trainer(net, sgd);
        var expected = trainer.ComputeGradients(inputs, labels, batch);
        var expectedGrads = net.Parameters().Select(p => p.GradToArray()).ToList();

        var results = RunRanks(ranks, (communicator, rankTrainer) =>
        {
            var dp = new DataParallel(rankTrainer.Network, communicator, bucketBytes);
            rankTrainer.Parallel = dp;
            var (first, count) = ShardedBatchSource.Range(batch, communicator.Rank, ranks);
            var sample = rankTrainer.Network.InputShape.Size;
            var step = rankTrainer.ComputeGradients(inputs.AsSpan(first * sample, count * sample),
                labels.AsSpan(first, count), count);
            return (step, rankTrainer.Network.Parameters().Select(p => p.GradToArray()).ToList());
        }, batch);

        foreach (var (step, grads) in results)
        {
            Assert.Equal(expected.Count, step.Count);
            Assert.Equal(expected.Correct, step.Correct);
            Assert.True(Math.Abs(step.Loss - expected.Loss) <= 1e-5 * Math.Abs(expected.Loss),
                $"Loss {step.Loss} against one process's {expected.Loss}.");
            for (var i = 0; i < grads.Count; i++)
            {
                var difference = RelativeDifference(grads[i], expectedGrads[i]);
                Assert.True(difference <= 1e-5, $"{net.Parameters()[i].Name}: relative difference {difference}");
            }
        }
    }

    [Fact]
    public void BroadcastGivesEveryRankRankZerosParameters()
    {
        var results = RunRanks(2, (communicator, trainer) =>
        {
            var dp = new DataParallel(trainer.Network, communicator);
            dp.BroadcastParameters();
            return (default(StepResult), trainer.Network.Parameters().Select(p => p.ToArray()).ToList());
        }, batch: 1, seedOfRank: r => (ulong)(10 + r));

        using var acc = new CpuAccelerator(1);
        using var rankZero = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 10);
        foreach (var (_, values) in results)
        {
            Assert.Equal(rankZero.Parameters().Select(p => p.ToArray()), values);
        }
    }

    // Runs body on each rank's own thread, network (lenet5 on one CPU thread) and trainer; returns what each gave.
    private static List<(StepResult Step, List<float[]> Arrays)> RunRanks(int ranks,
        Func<Communicator, Trainer, (StepResult, List<float[]>)> body, int batch, Func<int, ulong>? seedOfRank = null)
    {
        var communicators = ThreadCommunicator.Create(ranks);
        var results = new (StepResult, List<float[]>)[ranks];
        var failures = new Exception?[ranks];
        var threads = Enumerable.Range(0, ranks).Select(r => new Thread(() =>
        {
            try
            {
                using var acc = new CpuAccelerator(1);
                using var net = ModelZoo.Build("lenet5", acc, maxBatch: batch, seed: seedOfRank?.Invoke(r) ?? 3);
                using var sgd = new Sgd(net.Parameters(), 0.1f, momentum: 0f);
                using var trainer = new Trainer(net, sgd);
                results[r] = body(communicators[r], trainer);
            }
            catch (Exception e)
            {
                failures[r] = e;
            }
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(60)), "A rank did not finish."));
        Assert.All(failures, f => Assert.Null(f));
        return [.. results];
    }

    private static double RelativeDifference(float[] actual, float[] expected)
    {
        double difference = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            difference += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }

        return Math.Sqrt(difference) / Math.Max(Math.Sqrt(norm), 1e-30);
    }
}
