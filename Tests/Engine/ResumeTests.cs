using System.Runtime.InteropServices;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Engine.Training.Callbacks;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// A resumed run must end bit for bit where an uninterrupted one ends: same parameters, same history. SeedNet has
/// dropout, so the per-network step counter that seeds the masks is exercised; Adam's moments and step count, the
/// cosine schedule and gradient clipping carry state too. AdamW's moments and RMSprop's three averages (centered,
/// with momentum) must resume as exactly.
/// </summary>
public sealed class ResumeTests : IDisposable
{
    private const int Epochs = 3;
    private const ulong Seed = 5;
    private readonly string dir = Directory.CreateTempSubdirectory("gpucnn-resume").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void ResumingFromTheFirstEpochsCheckpointEndsWithBitwiseIdenticalParameters()
    {
        var (expected, expectedHistory) = TrainStraight();

        var path = Path.Combine(dir, "epoch.safetensors");
        using (var first = new Run(networkSeed: Seed))
        {
            var loop = first.Loop(new EpochCheckpoint(path));
            loop.RunEpoch();
            Assert.Null(loop.Result);
        }

        // A fresh "process": new accelerator, network initialised from another seed, new optimizer and callbacks.
        using var resumed = new Run(networkSeed: 99);
        var again = resumed.Loop(new EpochCheckpoint(path));
        again.Resume(path);
        Assert.Equal(1, again.CompletedEpochs);
        var result = again.Run();

        Assert.Equal(FitOutcome.Completed, result.Outcome);
        AssertBitwiseEqual(expected, resumed.Parameters());
        Assert.Equal(expectedHistory.Select(m => m.TrainLoss), again.History.Select(m => m.TrainLoss));
        Assert.Equal(expectedHistory.Select(m => m.TestLoss), again.History.Select(m => m.TestLoss));
    }

    [Fact]
    public void ResumingFromAnInterruptionInsideAnEpochEndsWithBitwiseIdenticalParameters()
    {
        var (expected, expectedHistory) = TrainStraight();

        var path = Path.Combine(dir, "interrupted.safetensors");
        using (var first = new Run(networkSeed: Seed))
        {
            using var cancel = new CancellationTokenSource();
            var loop = first.Loop(new CancelAfter(cancel, globalStep: 8));
            loop.InterruptCheckpointPath = path;
            var result = loop.Run(cancel.Token);

            // Six batches per epoch: the eighth step is the second of epoch 2.
            Assert.Equal(FitOutcome.Interrupted, result.Outcome);
            Assert.Equal((1, 2), (result.Epoch, result.Step));
            Assert.Equal(path, result.Checkpoint);
            Assert.Contains(path, result.Message);
            Assert.Contains("epoch 2, step 2", result.Message);
        }

        using var resumed = new Run(networkSeed: 99);
        var again = resumed.Loop();
        again.Resume(path);
        Assert.Equal((1, 2, 8L), (again.CompletedEpochs, again.StepInEpoch, again.GlobalStep));
        Assert.Equal(FitOutcome.Completed, again.Run().Outcome);

        AssertBitwiseEqual(expected, resumed.Parameters());
        // The interrupted epoch's training loss sums the steps before and after the interruption.
        Assert.Equal(expectedHistory.Select(m => m.TrainLoss), again.History.Select(m => m.TrainLoss));
        Assert.Equal(expectedHistory.Select(m => m.LearningRate), again.History.Select(m => m.LearningRate));
    }

    [Theory]
    [InlineData("adamw")]
    [InlineData("rmsprop")]
    public void ResumingAnotherOptimizerFromAnInterruptionEndsWithBitwiseIdenticalParameters(string optimizer)
    {
        var (expected, expectedHistory) = TrainStraight(optimizer);

        var path = Path.Combine(dir, $"interrupted-{optimizer}.safetensors");
        using (var first = new Run(networkSeed: Seed, optimizer))
        {
            using var cancel = new CancellationTokenSource();
            var loop = first.Loop(new CancelAfter(cancel, globalStep: 8));
            loop.InterruptCheckpointPath = path;
            Assert.Equal(FitOutcome.Interrupted, loop.Run(cancel.Token).Outcome);
        }

        using var resumed = new Run(networkSeed: 99, optimizer);
        var again = resumed.Loop();
        again.Resume(path);
        Assert.Equal(resumed.Optimizer.Name, Checkpoint.ReadMetadata(path)["optimizer"]);
        Assert.Equal(8, resumed.Optimizer.StepCount);
        Assert.Equal(FitOutcome.Completed, again.Run().Outcome);

        AssertBitwiseEqual(expected, resumed.Parameters());
        Assert.Equal(expectedHistory.Select(m => m.TrainLoss), again.History.Select(m => m.TrainLoss));
    }

    private static (List<float[]> Parameters, List<EpochMetrics> History) TrainStraight(string optimizer = "adam")
    {
        using var run = new Run(networkSeed: Seed, optimizer);
        var loop = run.Loop();
        Assert.Equal(FitOutcome.Completed, loop.Run().Outcome);
        return (run.Parameters(), loop.History.ToList());
    }

    private static void AssertBitwiseEqual(List<float[]> expected, List<float[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(MemoryMarshal.Cast<float, int>(expected[i]).ToArray(),
                MemoryMarshal.Cast<float, int>(actual[i]).ToArray());
        }
    }

    /// <summary>Everything one process would build for the run.</summary>
    private sealed class Run : IDisposable
    {
        private readonly CpuAccelerator acc = new();
        private readonly Network net;
        private readonly Trainer trainer;

        public Run(ulong networkSeed, string optimizer = "adam")
        {
            net = ModelZoo.Build("seednet", acc, maxBatch: 16, seed: networkSeed);
            Optimizer = optimizer switch
            {
                "adamw" => new AdamW(net.Parameters(), lr: 2e-3f, weightDecay: 0.05f),
                "rmsprop" => new RmsProp(net.Parameters(), lr: 1e-3f, weightDecay: 1e-3f, momentum: 0.5f,
                    centered: true),
                _ => new Adam(net.Parameters(), lr: 2e-3f),
            };
            trainer = new Trainer(net, Optimizer);
        }

        public Optimizer Optimizer { get; }

        // 90 samples in batches of 16: five full batches and a partial one per epoch.
        public FitLoop Loop(params TrainingCallback[] extra) => new(trainer,
            new SyntheticBatches(90, 16, seed: 11), new SyntheticBatches(40, 16, seed: 12, shuffle: false), Epochs,
            [new CosineLr(Epochs, 1e-4f), new GradientClipping(0.5f), .. extra]);

        public List<float[]> Parameters() => net.Parameters().Select(p => p.ToArray()).ToList();

        public void Dispose()
        {
            trainer.Dispose();
            Optimizer.Dispose();
            net.Dispose();
            acc.Dispose();
        }
    }

    /// <summary>Requests cancellation after a given step, as the first Ctrl-C does.</summary>
    private sealed class CancelAfter(CancellationTokenSource source, long globalStep) : TrainingCallback
    {
        public override void OnStepEnd(FitLoop loop, StepResult step)
        {
            if (loop.GlobalStep == globalStep)
            {
                source.Cancel();
            }
        }
    }
}
