using System.Globalization;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Engine.Training;

namespace GpuCnn.Cli.Plotting;

/// <summary>The curves of one training run, drawn in one colour.</summary>
/// <param name="Name">Shown in the legend, e.g. the optimizer.</param>
/// <param name="Rgb">Colour as 0xRRGGBB.</param>
/// <param name="Steps">Every step's loss and its moving average.</param>
/// <param name="Epochs">The metrics of every finished epoch.</param>
internal sealed record RunCurves(string Name, uint Rgb, IReadOnlyList<StepPoint> Steps,
    IReadOnlyList<EpochMetrics> Epochs);

/// <summary>
/// Loss and accuracy curves of one or more training runs, as one picture of two panels sharing the epoch axis:
/// above, the smoothed training loss per step (solid) and the test loss per epoch (dashed, with markers); below,
/// the test accuracy per epoch. Solid means training and dashed means test throughout, and a run keeps its colour.
/// </summary>
internal static class TrainingCurves
{
    /// <summary>Distinct colours for runs, in order (the usual categorical palette: blue, orange, green, red).
    /// </summary>
    public static readonly uint[] Palette = [0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B];

    /// <summary>Draws the two panels stacked, <paramref name="width"/> wide.</summary>
    /// <param name="title">Above the loss panel.</param>
    /// <param name="runs">The runs, each in its own colour.</param>
    /// <param name="beta">The moving average's factor, named in the legend.</param>
    /// <param name="logLoss">Place losses by their logarithm: they fall over more than a decade.</param>
    /// <param name="width">Image width in pixels.</param>
    public static Image Render(string title, IReadOnlyList<RunCurves> runs, double beta, bool logLoss = true,
        int width = 1100)
    {
        ArgumentOutOfRangeException.ThrowIfZero(runs.Count);
        var c = CultureInfo.InvariantCulture;
        // Both panels span 0 to the last epoch so that an epoch sits at the same x above and below.
        var lastEpoch = Math.Max(1, runs.Max(r => Math.Max(
            r.Epochs.Count > 0 ? r.Epochs[^1].Epoch : 0, r.Steps.Count > 0 ? r.Steps[^1].EpochFraction : 0)));
        var xRange = (0.0, lastEpoch);
        var single = runs.Count == 1;

        var losses = new List<Series>();
        foreach (var run in runs)
        {
            var prefix = single ? "" : run.Name + " ";
            losses.Add(new Series(string.Create(c, $"{prefix}train loss (EMA {beta})"),
                run.Steps.Select(s => (s.EpochFraction, s.Smoothed)).ToList(), run.Rgb));
            losses.Add(new Series($"{prefix}test loss", run.Epochs.Select(e => ((double)e.Epoch, e.TestLoss)).ToList(),
                run.Rgb, Dashed: true, Markers: true));
        }

        var accuracies = new List<Series>();
        foreach (var run in runs)
        {
            var prefix = single ? "" : run.Name + " ";
            // With one run there is room for the training accuracy too; with several it would crowd the test lines.
            if (single)
            {
                accuracies.Add(new Series("train accuracy (epoch mean)",
                    run.Epochs.Select(e => ((double)e.Epoch, 100 * e.TrainAccuracy)).ToList(), run.Rgb,
                    Markers: true));
            }

            accuracies.Add(new Series($"{prefix}test accuracy",
                run.Epochs.Select(e => ((double)e.Epoch, 100 * e.TestAccuracy)).ToList(), run.Rgb, Dashed: true,
                Markers: true));
        }

        var top = LineChart.Render(title, "epoch", logLoss ? "cross-entropy loss (log scale)" : "cross-entropy loss",
            losses, width, 620, logLoss, xRange);
        var bottom = LineChart.Render("", "epoch", "accuracy (%)", accuracies, width, 380, xRange: xRange);
        return Stack(top, bottom);
    }

    /// <summary>Renders as <see cref="Render"/> does and writes a PNG, creating its folder.</summary>
    public static void Save(string path, string title, IReadOnlyList<RunCurves> runs, double beta,
        bool logLoss = true)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        Png.Save(Render(title, runs, beta, logLoss), full);
    }

    /// <summary>Two images of the same width and channels, one above the other.</summary>
    internal static Image Stack(Image top, Image bottom)
    {
        if (top.Width != bottom.Width || top.Channels != bottom.Channels)
        {
            throw new ArgumentException(
                $"Cannot stack a {top.Width}-pixel-wide image of {top.Channels} channels on one {bottom.Width} wide " +
                $"of {bottom.Channels}.");
        }

        var pixels = new byte[top.Pixels.Length + bottom.Pixels.Length];
        top.Pixels.CopyTo(pixels, 0);
        bottom.Pixels.CopyTo(pixels, top.Pixels.Length);
        return new Image(top.Width, top.Height + bottom.Height, top.Channels, pixels);
    }
}
