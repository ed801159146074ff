using System.Globalization;
using System.Text;

namespace GpuCnn.Engine.Training.Callbacks;

/// <summary>
/// Writes per-epoch metrics as CSV, and optionally each step's training loss to a second CSV. The epoch file is
/// rewritten from the loop's history after every epoch, so a resumed run's file holds exactly the epochs up to
/// now; the step file drops the steps after the checkpoint a run resumes from. A loop with a
/// <see cref="FitLoop.Validation"/> source adds the columns val_loss and val_accuracy.
/// </summary>
public sealed class CsvLog(string path, string? stepsPath = null) : TrainingCallback
{
    private const string EpochHeader =
        "epoch,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,images_per_second";

    private const string StepHeader = "epoch,step,global_step,train_loss,learning_rate";
    private StreamWriter? steps;

    /// <summary>The per-epoch file.</summary>
    public string Path { get; } = path;

    /// <summary>The per-step file, or null.</summary>
    public string? StepsPath { get; } = stepsPath;

    /// <inheritdoc />
    public override void OnFitBegin(FitLoop loop)
    {
        WriteEpochs(loop);
        if (StepsPath is null)
        {
            return;
        }

        var kept = new List<string>();
        if (loop.GlobalStep > 0 && File.Exists(StepsPath))
        {
            kept.AddRange(File.ReadLines(StepsPath).Skip(1).Where(line =>
                long.TryParse(line.Split(',')[2], CultureInfo.InvariantCulture, out var step) &&
                step <= loop.GlobalStep));
        }

        CreateDirectoryFor(StepsPath);
        steps = new StreamWriter(StepsPath, append: false, new UTF8Encoding(false));
        steps.WriteLine(StepHeader);
        foreach (var line in kept)
        {
            steps.WriteLine(line);
        }
    }

    /// <inheritdoc />
    public override void OnStepEnd(FitLoop loop, StepResult step) =>
        steps?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{loop.CurrentEpoch},{loop.StepInEpoch},{loop.GlobalStep},{step.Loss:R},{loop.Optimizer.LearningRate:R}"));

    /// <inheritdoc />
    public override void OnEpochEnd(FitLoop loop, EpochMetrics metrics)
    {
        WriteEpochs(loop);
        steps?.Flush();
    }

    /// <inheritdoc />
    public override void OnFitEnd(FitLoop loop, FitResult result)
    {
        steps?.Dispose();
        steps = null;
    }

    private void WriteEpochs(FitLoop loop)
    {
        var validation = loop.Validation is not null;
        var text = new StringBuilder(EpochHeader).Append(validation ? ",val_loss,val_accuracy\n" : "\n");
        foreach (var m in loop.History)
        {
            text.Append(string.Create(CultureInfo.InvariantCulture,
                $"{m.Epoch},{m.TrainLoss:R},{m.TrainAccuracy:R},{m.TestLoss:R},{m.TestAccuracy:R}," +
                $"{m.LearningRate:R},{m.ImagesPerSecond:F1}"));
            text.Append(validation
                ? string.Create(CultureInfo.InvariantCulture, $",{m.ValidationLoss:R},{m.ValidationAccuracy:R}\n")
                : "\n");
        }

        CreateDirectoryFor(Path);
        var temporary = Path + ".tmp";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, Path, overwrite: true);
    }

    private static void CreateDirectoryFor(string file) =>
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file))!);
}
