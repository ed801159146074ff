using GpuCnn.Datasets.Imaging;

namespace GpuCnn.Cli.Plotting;

/// <summary>
/// Renders line charts into PNG images: axes with ticks at 1-2-5 steps, gridlines, a legend placed where it hides
/// the least data, a title and axis labels, all drawn with a built-in bitmap font.
/// </summary>
public static partial class LineChart
{
    private const uint White = 0xFFFFFF, Black = 0x000000, Grid = 0xE4E4E4, Ink = 0x202020, LegendEdge = 0x909090;
    private const int TextScale = 2, TitleScale = 3, Pad = 16;
    private const double LineWidth = 2.5, MarkerRadius = 3.5, DashOn = 12, DashOff = 7;
    private static readonly int TextHeight = BitmapFont.GlyphHeight * TextScale;

    /// <summary>Draws the chart into a new RGB image of <paramref name="width"/> x <paramref name="height"/>.</summary>
    /// <param name="title">Centred above the plot; empty for none.</param>
    /// <param name="xLabel">Below the x axis.</param>
    /// <param name="yLabel">Beside the y axis, reading upwards.</param>
    /// <param name="series">The lines, drawn in order, each listed in the legend.</param>
    /// <param name="width">Image width in pixels, at least 200.</param>
    /// <param name="height">Image height in pixels, at least 150.</param>
    /// <param name="logY">Place y values by their logarithm, for losses that fall over decades.</param>
    /// <param name="xRange">The x range to show instead of the data's own, so that charts stacked above each other
    /// line up; null fits the data.</param>
    public static Image Render(
        string title, string xLabel, string yLabel, IReadOnlyList<Series> series,
        int width = 1000, int height = 600, bool logY = false, (double Min, double Max)? xRange = null)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(xLabel);
        ArgumentNullException.ThrowIfNull(yLabel);
        ArgumentNullException.ThrowIfNull(series);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 150);

        var frame = Frame.Lay(title, xLabel, yLabel, series, width, height, logY, xRange);
        var canvas = new Canvas(width, height, White);
        DrawAxes(canvas, frame, title, xLabel, yLabel);
        canvas.Clip = (frame.Left + 1, frame.Top + 1, frame.Right, frame.Bottom);
        foreach (var s in series)
        {
            DrawSeries(canvas, frame, s);
        }
        canvas.Clip = (0, 0, width, height);
        if (series.Count > 0)
        {
            DrawLegend(canvas, frame, series);
        }
        return canvas.Image;
    }

    /// <summary>Renders the chart as <see cref="Render"/> does and writes it to <paramref name="path"/> as PNG.
    /// </summary>
    public static void Save(
        string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series,
        int width = 1000, int height = 600, bool logY = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        Png.Save(Render(title, xLabel, yLabel, series, width, height, logY), path);
    }

    /// <summary>The plot rectangle (left and top inclusive, right and bottom exclusive) and its two axes.</summary>
    internal sealed record Frame(int Left, int Top, int Right, int Bottom, Axis X, Axis Y)
    {
        public double PixelX(double x) => X.Map(x, Left + 0.5, Right - 0.5);

        public double PixelY(double y) => Y.Map(y, Bottom - 0.5, Top + 0.5);

        public static Frame Lay(
            string title, string xLabel, string yLabel, IReadOnlyList<Series> series, int width, int height,
            bool logY, (double Min, double Max)? xRange = null)
        {
            var usable = series.SelectMany(s => s.Points)
                .Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!logY || p.Y > 0))
                .ToList();
            double xMin = xRange?.Min ?? (usable.Count > 0 ? usable.Min(p => p.X) : 0);
            double xMax = xRange?.Max ?? (usable.Count > 0 ? usable.Max(p => p.X) : 1);
            double yMin = usable.Count > 0 ? usable.Min(p => p.Y) : logY ? 0.1 : 0;
            double yMax = usable.Count > 0 ? usable.Max(p => p.Y) : 1;

            int top = Pad + (title.Length > 0 ? BitmapFont.GlyphHeight * TitleScale + Pad : 0);
            int bottom = height - Pad - TextHeight - 8 - (xLabel.Length > 0 ? TextHeight + Pad : 0);
            // Roughly one tick per 60 pixels of height and 110 of width keeps labels from crowding.
            Axis y = logY
                ? Axis.Logarithmic(yMin, yMax, Math.Max(2, (bottom - top) / 60))
                : Axis.Linear(yMin, yMax, Math.Max(2, (bottom - top) / 60));
            int yLabelWidth = y.Labels.Max(l => BitmapFont.Width(l, TextScale));
            int left = Pad + (yLabel.Length > 0 ? TextHeight + Pad : 0) + yLabelWidth + 10;
            // The last x label is centred on the right edge and needs half its width free beyond it.
            int right = width - Pad - 30;
            Axis x = Axis.Linear(xMin, xMax, Math.Max(2, (right - left) / 110));
            right = width - Math.Max(Pad + 10, BitmapFont.Width(x.Labels[^1], TextScale) / 2 + Pad);
            return new Frame(left, top, right, bottom, x, y);
        }
    }

    private static void DrawAxes(Canvas canvas, Frame frame, string title, string xLabel, string yLabel)
    {
        int plotWidth = frame.Right - frame.Left, plotHeight = frame.Bottom - frame.Top;
        for (int i = 0; i < frame.X.Ticks.Length; i++)
        {
            int px = (int)Math.Floor(frame.PixelX(frame.X.Ticks[i]));
            canvas.FillRect(px, frame.Top, 1, plotHeight, Grid);
            canvas.FillRect(px, frame.Bottom, 1, 6, Black);
            string label = frame.X.Labels[i];
            canvas.Text(px - BitmapFont.Width(label, TextScale) / 2, frame.Bottom + 10, label, TextScale, Ink);
        }
        for (int i = 0; i < frame.Y.Ticks.Length; i++)
        {
            int py = (int)Math.Floor(frame.PixelY(frame.Y.Ticks[i]));
            canvas.FillRect(frame.Left, py, plotWidth, 1, Grid);
            canvas.FillRect(frame.Left - 6, py, 6, 1, Black);
            string label = frame.Y.Labels[i];
            int labelX = frame.Left - 10 - BitmapFont.Width(label, TextScale);
            canvas.Text(labelX, py - TextHeight / 2, label, TextScale, Ink);
        }
        canvas.StrokeRect(frame.Left, frame.Top, plotWidth, plotHeight, Black);

        int width = canvas.Image.Width, height = canvas.Image.Height;
        if (title.Length > 0)
        {
            canvas.Text((width - BitmapFont.Width(title, TitleScale)) / 2, Pad, title, TitleScale, Black);
        }
        if (xLabel.Length > 0)
        {
            int textX = frame.Left + (plotWidth - BitmapFont.Width(xLabel, TextScale)) / 2;
            canvas.Text(textX, height - Pad - TextHeight, xLabel, TextScale, Ink);
        }
        if (yLabel.Length > 0)
        {
            int textY = frame.Top + (plotHeight + BitmapFont.Width(yLabel, TextScale)) / 2;
            canvas.Text(Pad, textY, yLabel, TextScale, Ink, vertical: true);
        }
    }

    private static void DrawSeries(Canvas canvas, Frame frame, Series series)
    {
        foreach (var run in Runs(frame, series))
        {
            double phase = 0;
            for (int i = 1; i < run.Count; i++)
            {
                phase = Stroke(canvas, run[i - 1], run[i], series.Rgb, series.Dashed, phase);
            }
            if (run.Count == 1 && !series.Markers)
            {
                canvas.Disc(run[0].X, run[0].Y, LineWidth / 2, series.Rgb);
            }
            if (series.Markers)
            {
                foreach (var (x, y) in run)
                {
                    canvas.Disc(x, y, MarkerRadius, series.Rgb);
                }
            }
        }
    }

    /// <summary>The series in pixel coordinates, cut into unbroken runs at points that cannot be drawn.</summary>
    private static List<List<(double X, double Y)>> Runs(Frame frame, Series series)
    {
        var runs = new List<List<(double X, double Y)>> { new() };
        foreach (var (x, y) in series.Points)
        {
            if (!double.IsFinite(x) || !double.IsFinite(y) || (frame.Y.Log && y <= 0))
            {
                runs.Add([]);
                continue;
            }
            runs[^1].Add((frame.PixelX(x), frame.PixelY(y)));
        }
        return runs.Where(r => r.Count > 0).ToList();
    }

    /// <summary>
    /// Strokes one segment; dashed lines carry the dash <paramref name="phase"/> (distance into the on-off pattern)
    /// from segment to segment, so the pattern flows evenly through the points. Returns the phase at the end.
    /// </summary>
    private static double Stroke(
        Canvas canvas, (double X, double Y) from, (double X, double Y) to, uint rgb, bool dashed, double phase)
    {
        if (!dashed)
        {
            canvas.Line(from.X, from.Y, to.X, to.Y, LineWidth, rgb);
            return 0;
        }
        double length = Math.Sqrt((to.X - from.X) * (to.X - from.X) + (to.Y - from.Y) * (to.Y - from.Y));
        double at = 0;
        while (at < length)
        {
            bool on = phase < DashOn;
            double piece = Math.Min(length - at, on ? DashOn - phase : DashOn + DashOff - phase);
            if (on)
            {
                double t0 = at / length, t1 = (at + piece) / length;
                canvas.Line(from.X + t0 * (to.X - from.X), from.Y + t0 * (to.Y - from.Y),
                    from.X + t1 * (to.X - from.X), from.Y + t1 * (to.Y - from.Y), LineWidth, rgb);
            }
            at += piece;
            phase = (phase + piece) % (DashOn + DashOff);
        }
        return phase;
    }
}
