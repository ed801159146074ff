using System.Globalization;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Engine.Training.Callbacks;

namespace GpuCnn.Cli.Train;

/// <summary>The callbacks a <c>train</c> run's options ask for.</summary>
internal static class TrainCallbacks
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>In the order they run at each event: clipping before the step, the progress bar before the line
    /// announcing the evaluation, the report before the schedule reads the metrics, checkpoints after everything that
    /// changes the state.</summary>
    public static List<TrainingCallback> Create(TrainSettings s, TrainingData data, Optimizer optimizer,
        int batchCount)
    {
        var callbacks = new List<TrainingCallback>();
        if (s.Optimizer.ClipGradNorm is { } maxNorm)
        {
            callbacks.Add(new GradientClipping(maxNorm));
        }

        if (!Console.IsOutputRedirected)
        {
            callbacks.Add(new TrainingProgress(batchCount));
        }

        callbacks.Add(new PhaseNotices(data.Validation?.Count ?? 0, data.Test.Count, s.Outputs.CheckpointBest,
            s.Stopping.Monitor));
        callbacks.Add(new EpochReport(s.Schedule.Epochs, s.Outputs.MetricsJson, Header(s),
            validation: data.Validation is not null));
        TrainingCallback?[] optional =
            [s.Schedule.Callback(s.Stopping.Monitor), s.Stopping.Callback(), s.Outputs.CsvLog()];
        callbacks.AddRange(optional.OfType<TrainingCallback>());
        callbacks.AddRange(s.Outputs.Checkpoints(s.Stopping.Monitor));
        if (s.Outputs.Plot is { } plotPath)
        {
            callbacks.Add(new CurvesPlot(plotPath, string.Create(Invariant,
                $"{s.Model.Name} on {data.Title}: {optimizer.Name}, lr {optimizer.LearningRate}, batch " +
                $"{s.Data.BatchSize}"), s.Optimizer.Name, new LossRecorder(batchCount)));
        }

        return callbacks;
    }

    // What --metrics-json says about the run before its epochs.
    private static Dictionary<string, object> Header(TrainSettings s)
    {
        var header = new Dictionary<string, object>
        {
            ["model"] = s.Model.Name,
            ["optimizer"] = s.Optimizer.Name,
            ["batch_size"] = s.Data.BatchSize,
            ["seed"] = s.Model.Seed,
            ["dataset"] = s.Data.Dataset!,
            ["augment"] = s.Data.Augment,
        };
        if (s.Data.ValidationSplit is { } fraction)
        {
            header["validation_split"] = fraction;
        }

        return header;
    }
}
