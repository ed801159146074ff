using System.Globalization;
using GpuCnn.Engine.Training;

namespace GpuCnn.Cli;

/// <summary>
/// Says what the run is doing between the progress bars: that the held-out and test images are being evaluated
/// (a line that clears itself on a terminal once the epoch's line replaces it), and where each checkpoint went.
/// </summary>
/// <param name="validationImages">Images held out for validation; 0 for none.</param>
/// <param name="testImages">Images of the test set.</param>
/// <param name="bestPath">The <c>--checkpoint-best</c> file, whose line names the monitored metric.</param>
/// <param name="monitor">The metric <c>--checkpoint-best</c> watches.</param>
internal sealed class PhaseNotices(int validationImages, int testImages, string? bestPath, Metric monitor)
    : TrainingCallback
{
    private readonly bool transient = !Console.IsOutputRedirected;
    private int shown;

    /// <summary>The line shown while an epoch's evaluation runs.</summary>
    public string EvaluationLine => validationImages > 0
        ? string.Create(CultureInfo.InvariantCulture,
            $"evaluating on {validationImages:N0} validation and {testImages:N0} test images...")
        : string.Create(CultureInfo.InvariantCulture, $"evaluating on {testImages:N0} test images...");

    public override void OnTrainPhaseEnd(FitLoop loop)
    {
        if (transient)
        {
            Console.Write(EvaluationLine);
            shown = EvaluationLine.Length;
        }
        else
        {
            Console.WriteLine(EvaluationLine);
        }
    }

    // Runs before the epoch's report, which then prints where this line was.
    public override void OnEpochEnd(FitLoop loop, EpochMetrics metrics)
    {
        if (shown > 0)
        {
            Console.Write("\r" + new string(' ', shown) + "\r");
            shown = 0;
        }
    }

    public override void OnCheckpointSaved(FitLoop loop, string path) =>
        Console.WriteLine(path == bestPath ? $"saved to {path} (best {monitor.Name()} so far)" : $"saved to {path}");
}
