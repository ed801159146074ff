using System.Globalization;
using System.Text.Json;
using GpuCnn.Engine.Training;

namespace GpuCnn.Cli;

/// <summary>
/// Prints one line per epoch and, when asked, rewrites the metrics JSON from the loop's history (so that a
/// resumed run's file lists the epochs before the checkpoint too). With <paramref name="validation"/> both carry
/// the held-out images' val_loss and val_accuracy.
/// </summary>
internal sealed class EpochReport(int epochs, string? metricsPath, Dictionary<string, object> header,
    bool validation = false) : TrainingCallback
{
    public override void OnEpochEnd(FitLoop loop, EpochMetrics m)
    {
        var held = validation ? string.Create(CultureInfo.InvariantCulture,
            $"val loss {m.ValidationLoss:F4} acc {m.ValidationAccuracy:P2} | ") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {m.Epoch}/{epochs}: train loss {m.TrainLoss:F4} acc {m.TrainAccuracy:P2} | {held}test loss " +
            $"{m.TestLoss:F4} acc {m.TestAccuracy:P2} | {m.ImagesPerSecond:N0} images/s"));
        if (metricsPath is not null)
        {
            Write(metricsPath, loop.History);
        }
    }

    private Dictionary<string, object> Entry(EpochMetrics m)
    {
        var entry = new Dictionary<string, object>
        {
            ["epoch"] = m.Epoch,
            ["train_loss"] = m.TrainLoss,
            ["train_accuracy"] = m.TrainAccuracy,
        };
        if (validation)
        {
            entry["val_loss"] = m.ValidationLoss;
            entry["val_accuracy"] = m.ValidationAccuracy;
        }

        entry["test_loss"] = m.TestLoss;
        entry["test_accuracy"] = m.TestAccuracy;
        entry["images_per_second"] = m.ImagesPerSecond;
        return entry;
    }

    private void Write(string path, IReadOnlyList<EpochMetrics> history)
    {
        var document = new Dictionary<string, object>(header)
        {
            ["epochs"] = history.Select(Entry).ToList(),
        };
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        File.WriteAllText(temporary,
            JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, full, overwrite: true);
    }
}
