using System.Globalization;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Engine.Training.Callbacks;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>A <see cref="FitLoop"/> with a validation source, and the checkpoint hook the command line reports.
/// </summary>
public sealed class ValidationLoopTests() : CpuFileTest("gpucnn-validation")
{
    [Fact]
    public void ValidationMetricsAreTheValidationSourcesEvaluationAfterTheEpoch()
    {
        using var run = new Run(acc);
        var validation = new SyntheticBatches(32, 16, seed: 9, shuffle: false);
        var loop = run.Loop(1, validation);

        loop.Run();

        var (loss, accuracy) = FitLoop.Evaluate(run.Trainer, validation);
        var m = Assert.Single(loop.History);
        Assert.Equal(loss, m.ValidationLoss, 12);
        Assert.Equal(accuracy, m.ValidationAccuracy, 12);
        Assert.Equal(loss, m.Get(Metric.ValidationLoss), 12);
        // The test set is another source with other images: its loss is another number.
        Assert.NotEqual(m.TestLoss, m.ValidationLoss);
    }

    [Fact]
    public void WithoutAValidationSourceItsMetricsAreNaNAndCannotBeWatched()
    {
        using var run = new Run(acc);
        var loop = run.Loop(1, validation: null, new EarlyStopping(1, monitor: Metric.ValidationLoss));

        var e = Assert.Throws<InvalidOperationException>(() => loop.Run());

        Assert.Contains("val_loss, which this run does not measure", e.Message);
        Assert.True(double.IsNaN(loop.History[0].ValidationAccuracy));
    }

    [Fact]
    public void EarlyStoppingAndTheBestCheckpointCanWatchTheValidationMetrics()
    {
        using var run = new Run(acc);
        var best = Path.Combine(dir, "best.safetensors");
        var saved = new SavedPaths();
        var loop = run.Loop(5, new SyntheticBatches(32, 16, seed: 9, shuffle: false),
            new EarlyStopping(1, minDelta: 100, monitor: Metric.ValidationAccuracy),
            new BestCheckpoint(best, Metric.ValidationLoss), saved);

        var result = loop.Run();

        Assert.Equal(FitOutcome.Stopped, result.Outcome);
        Assert.Contains("val_accuracy has not improved", result.Message);
        Assert.Equal(2, loop.CompletedEpochs);
        // Written at epoch 1 (the first value is the best so far) and again at epoch 2 only if val_loss fell.
        var improved = loop.History[1].ValidationLoss < loop.History[0].ValidationLoss;
        Assert.Equal(improved ? [best, best] : [best], saved.Paths);
        Assert.True(File.Exists(best));
    }

    [Fact]
    public void EveryCheckpointWrittenIsReportedWithItsPath()
    {
        using var run = new Run(acc);
        var each = Path.Combine(dir, "each.safetensors");
        var saved = new SavedPaths();
        var loop = run.Loop(2, validation: null, saved, new EpochCheckpoint(each));

        loop.Run();

        Assert.Equal([each, each], saved.Paths);
        Assert.Equal([1, 2], saved.Epochs);
    }

    [Fact]
    public void ValidationHistorySurvivesAResume()
    {
        using var run = new Run(acc);
        var path = Path.Combine(dir, "state.safetensors");
        var loop = run.Loop(1, new SyntheticBatches(32, 16, seed: 9, shuffle: false), new EpochCheckpoint(path));
        loop.Run();

        using var again = new Run(acc);
        var resumed = again.Loop(2, new SyntheticBatches(32, 16, seed: 9, shuffle: false));
        resumed.Resume(path);

        Assert.Equal(loop.History[0].ValidationLoss, resumed.History[0].ValidationLoss);
        Assert.Equal(loop.History[0].ValidationAccuracy, resumed.History[0].ValidationAccuracy);
    }

    [Fact]
    public void TheValidationMetricsHaveKerasNames()
    {
        Assert.Equal(Metric.ValidationLoss, MetricNames.Parse("val_loss"));
        Assert.Equal("val_accuracy", Metric.ValidationAccuracy.Name());
        Assert.True(Metric.ValidationAccuracy.IsMaximised());
        Assert.False(Metric.ValidationLoss.IsMaximised());
        Assert.True(Metric.ValidationLoss.NeedsValidation());
        Assert.False(Metric.TestLoss.NeedsValidation());
    }

    [Fact]
    public void TheCsvLogAddsTheValidationColumnsWhenTheLoopHasThem()
    {
        using var run = new Run(acc);
        var csv = Path.Combine(dir, "log.csv");
        var loop = run.Loop(1, new SyntheticBatches(32, 16, seed: 9, shuffle: false), new CsvLog(csv));

        loop.Run();

        var lines = File.ReadAllLines(csv);
        Assert.EndsWith(",images_per_second,val_loss,val_accuracy", lines[0]);
        var cells = lines[1].Split(',');
        Assert.Equal(loop.History[0].ValidationLoss, double.Parse(cells[7], CultureInfo.InvariantCulture));
    }

    private sealed class SavedPaths : TrainingCallback
    {
        public List<string> Paths { get; } = [];

        public List<int> Epochs { get; } = [];

        public override void OnCheckpointSaved(FitLoop loop, string path)
        {
            Paths.Add(path);
            Epochs.Add(loop.CompletedEpochs);
        }
    }

    private sealed class Run : IDisposable
    {
        public Run(GpuCnn.Kernels.Cpu.CpuAccelerator acc)
        {
            Net = ModelZoo.Build("lenet5", acc, maxBatch: 16, seed: 1);
            Optimizer = new Adam(Net.Parameters());
            Trainer = new Trainer(Net, Optimizer);
        }

        public GpuCnn.Engine.Network Net { get; }

        public Adam Optimizer { get; }

        public Trainer Trainer { get; }

        public FitLoop Loop(int epochs, IBatchSource? validation, params TrainingCallback[] callbacks) =>
            new(Trainer, new SyntheticBatches(64, 16, seed: 3), new SyntheticBatches(32, 16, seed: 4, shuffle: false),
                epochs, callbacks)
            {
                Validation = validation,
                InterruptCheckpointPath = "unused.safetensors",
            };

        public void Dispose()
        {
            Trainer.Dispose();
            Optimizer.Dispose();
            Net.Dispose();
        }
    }
}
