using System.Globalization;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Engine.Training.Callbacks;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine;

public sealed class FitLoopTests() : CpuFileTest("gpucnn-fit")
{
    [Fact]
    public void StepLrFollowsPyTorchsStepRule()
    {
        var schedule = new StepLr(stepSize: 2, gamma: 0.5f);

        var rates = Enumerable.Range(0, 6).Select(t => schedule.LearningRateAt(t, 1f));

        Assert.Equal([1f, 1f, 0.5f, 0.5f, 0.25f, 0.25f], rates);
    }

    [Fact]
    public void CosineLrFallsAlongHalfACosineToTheMinimum()
    {
        var schedule = new CosineLr(tMax: 4, minLearningRate: 0.01f);

        var rates = Enumerable.Range(0, 5).Select(t => schedule.LearningRateAt(t, 0.1f)).ToArray();

        // 0.01 + 0.09 (1 + cos(pi t / 4)) / 2
        float[] expected = [0.1f, 0.08681981f, 0.055f, 0.02318019f, 0.01f];
        for (var t = 0; t < expected.Length; t++)
        {
            Assert.Equal(expected[t], rates[t], 1e-7f);
        }
    }

    [Fact]
    public void ReduceLrOnPlateauCutsTheRateAfterMoreThanPatienceBadEpochs()
    {
        var plateau = new ReduceLrOnPlateau(Metric.TestLoss, factor: 0.5f, patience: 1);
        var lr = 1f;
        var rates = new List<float>();
        foreach (var loss in new[] { 1.0, 1.0, 1.0, 0.5, 0.49999, 0.5 })
        {
            lr = plateau.Observe(loss, lr);
            rates.Add(lr);
        }

        // 0.49999 is better than 0.5 by less than the relative threshold 1e-4: a bad epoch.
        Assert.Equal([1f, 1f, 0.5f, 0.5f, 0.5f, 0.25f], rates);
    }

    [Fact]
    public void ReduceLrOnPlateauWaitsOutItsCooldownAndStopsAtTheMinimum()
    {
        var plateau = new ReduceLrOnPlateau(Metric.TestAccuracy, factor: 0.1f, patience: 0, cooldown: 1,
            minLearningRate: 0.05f);
        var lr = 1f;
        var rates = new List<float>();
        foreach (var accuracy in new[] { 0.5, 0.5, 0.5, 0.5, 0.5 })
        {
            lr = plateau.Observe(accuracy, lr);
            rates.Add(lr);
        }

        Assert.Equal([1f, 0.1f, 0.1f, 0.05f, 0.05f], rates);
    }

    [Fact]
    public void EarlyStoppingCountsEpochsThatDoNotBeatTheBestByMinDelta()
    {
        var stopping = new EarlyStopping(patience: 2, minDelta: 0.1);

        var stops = new[] { 1.0, 0.95, 0.85, 0.9, 0.8 }.Select(stopping.Observe).ToArray();

        Assert.Equal([false, false, false, false, true], stops);
        Assert.Equal(0.85, stopping.Best);
    }

    [Fact]
    public void EarlyStoppingEndsTheLoopWithAMessage()
    {
        using var run = new LenetRun(acc);
        var loop = run.Loop(5, new EarlyStopping(patience: 1, minDelta: 100));

        var result = loop.Run();

        Assert.Equal(FitOutcome.Stopped, result.Outcome);
        Assert.Equal(2, loop.CompletedEpochs);
        Assert.Contains("Stopped early after epoch 2", result.Message);
    }

    [Fact]
    public void ScheduleSetsTheOptimizersRateBetweenEpochs()
    {
        using var run = new LenetRun(acc);
        var loop = run.Loop(3, new StepLr(stepSize: 1, gamma: 0.5f));

        loop.Run();

        Assert.Equal([1e-3f, 5e-4f, 2.5e-4f], loop.History.Select(m => m.LearningRate));
        Assert.Equal(1.25e-4f, run.Optimizer.LearningRate);
    }

    [Fact]
    public void GradientClippingScalesTheTotalNormDownToTheBound()
    {
        using var run = new LenetRun(acc);
        var (inputs, labels) = CheckpointTests.RandomBatch(8);
        run.Trainer.ComputeGradients(inputs, labels, 8);
        var before = run.Net.Parameters().Select(p => p.GradToArray()).ToList();
        var norm = Math.Sqrt(before.Sum(g => g.Sum(v => (double)v * v)));

        var reported = GradientClipping.ClipGradNorm(run.Net.Parameters(), (float)(norm / 4));

        var after = run.Net.Parameters().Select(p => p.GradToArray()).ToList();
        Assert.Equal(norm, reported, norm * 1e-6);
        Assert.Equal(norm / 4, Math.Sqrt(after.Sum(g => g.Sum(v => (double)v * v))), norm * 1e-5);
        Assert.Equal(before[0][7] * (float)(norm / 4 / (norm + 1e-6)), after[0][7], 1e-6f * MathF.Abs(before[0][7]));
    }

    [Fact]
    public void GradientClippingLeavesSmallGradientsAlone()
    {
        using var run = new LenetRun(acc);
        var (inputs, labels) = CheckpointTests.RandomBatch(8);
        run.Trainer.ComputeGradients(inputs, labels, 8);
        var before = run.Net.Parameters().Select(p => p.GradToArray()).ToList();

        GradientClipping.ClipGradNorm(run.Net.Parameters(), 1e6f);

        Assert.Equal(before, run.Net.Parameters().Select(p => p.GradToArray()));
    }

    [Fact]
    public void NanInputStopsTrainingNamingTheEpochTheStepAndTheLastCheckpoint()
    {
        using var run = new LenetRun(acc);
        var path = Path.Combine(dir, "last.safetensors");
        var source = new SyntheticBatches(64, 16, seed: 3) { PoisonAt = (2, 3) };
        var loop = new FitLoop(run.Trainer, source, null, 3, [new EpochCheckpoint(path)]);

        var result = loop.Run();

        Assert.Equal(FitOutcome.Diverged, result.Outcome);
        Assert.Equal((1, 2), (result.Epoch, result.Step));
        Assert.Contains("at epoch 2, step 3", result.Message);
        Assert.Contains($"The last good checkpoint is {path}", result.Message);
        Assert.Equal(path, result.Checkpoint);
        // The poisoned step was not applied.
        Assert.All(run.Net.Parameters(), p => Assert.All(p.ToArray(), v => Assert.True(float.IsFinite(v))));
    }

    [Fact]
    public void HugeLearningRateDivergesWithoutACheckpointToFallBackOn()
    {
        using var a = new CpuAccelerator();
        using var net = ModelZoo.Build("lenet5", a, maxBatch: 16, seed: 0);
        using var sgd = new Sgd(net.Parameters(), lr: 1e30f);
        using var trainer = new Trainer(net, sgd);
        var loop = new FitLoop(trainer, new SyntheticBatches(64, 16, seed: 3), null, 3);

        var result = loop.Run();

        Assert.Equal(FitOutcome.Diverged, result.Outcome);
        Assert.StartsWith("The loss became", result.Message);
        Assert.Contains("No checkpoint was written before it.", result.Message);
        Assert.Null(result.Checkpoint);
    }

    [Fact]
    public void BestCheckpointHoldsTheEpochWithTheLowestTestLoss()
    {
        using var run = new LenetRun(acc);
        var best = Path.Combine(dir, "best.safetensors");
        var loop = run.Loop(4, new BestCheckpoint(best));

        loop.Run();

        var bestEpoch = loop.History.MinBy(m => m.TestLoss)!;
        var metadata = Checkpoint.ReadMetadata(best);
        Assert.Equal(bestEpoch.Epoch.ToString(CultureInfo.InvariantCulture), metadata["epoch"]);
        Assert.Equal(bestEpoch.TestLoss, double.Parse(metadata["best_checkpoint.best"], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CsvLogWritesOneRowPerEpochAndOnePerStep()
    {
        using var run = new LenetRun(acc);
        var epochs = Path.Combine(dir, "log.csv");
        var steps = Path.Combine(dir, "steps.csv");
        var loop = run.Loop(2, new CsvLog(epochs, steps));

        loop.Run();

        var lines = File.ReadAllLines(epochs);
        Assert.Equal("epoch,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,images_per_second",
            lines[0]);
        Assert.Equal(3, lines.Length);
        var second = lines[2].Split(',');
        Assert.Equal("2", second[0]);
        Assert.Equal(loop.History[1].TrainLoss, double.Parse(second[1], CultureInfo.InvariantCulture));
        Assert.Equal(loop.History[1].TestAccuracy, double.Parse(second[4], CultureInfo.InvariantCulture));
        var stepLines = File.ReadAllLines(steps);
        Assert.Equal(1 + 2 * 4, stepLines.Length);
        Assert.StartsWith("2,4,8,", stepLines[^1]);
    }

    [Fact]
    public void CancellationAtAnEpochBoundarySavesTheStateThere()
    {
        using var run = new LenetRun(acc);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var loop = run.Loop(3);
        loop.InterruptCheckpointPath = Path.Combine(dir, "stop.safetensors");

        var result = loop.Run(cancel.Token);

        Assert.Equal(FitOutcome.Interrupted, result.Outcome);
        Assert.Equal(0, loop.GlobalStep);
        Assert.Equal("0", Checkpoint.ReadMetadata(loop.InterruptCheckpointPath)["fit.global_step"]);
    }

    /// <summary>LeNet-5 with Adam on 64 synthetic samples (four batches of 16), evaluated on 32 more.</summary>
    private sealed class LenetRun : IDisposable
    {
        public LenetRun(CpuAccelerator acc)
        {
            Net = ModelZoo.Build("lenet5", acc, maxBatch: 16, seed: 1);
            Optimizer = new Adam(Net.Parameters());
            Trainer = new Trainer(Net, Optimizer);
        }

        public Network Net { get; }

        public Adam Optimizer { get; }

        public Trainer Trainer { get; }

        public FitLoop Loop(int epochs, params TrainingCallback[] callbacks) => new(Trainer,
            new SyntheticBatches(64, 16, seed: 3), new SyntheticBatches(32, 16, seed: 4, shuffle: false), epochs,
            callbacks);

        public void Dispose()
        {
            Trainer.Dispose();
            Optimizer.Dispose();
            Net.Dispose();
        }
    }
}
