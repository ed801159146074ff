namespace GpuCnn.Cli.Plotting;

// The legend of a chart: a swatch and the name of each series, in a box placed where it hides the least data.
public static partial class LineChart
{
    private static void DrawLegend(Canvas canvas, Frame frame, IReadOnlyList<Series> series)
    {
        const int rowHeight = 24, swatch = 36, inset = 10;
        int boxWidth = 12 + swatch + 10 + series.Max(s => BitmapFont.Width(s.Name, TextScale)) + 12;
        int boxHeight = 8 + series.Count * rowHeight;
        var (left, top) = LegendCorner(frame, series, boxWidth, boxHeight, inset);

        for (int y = top; y < top + boxHeight; y++)
        {
            for (int x = left; x < left + boxWidth; x++)
            {
                canvas.Blend(x, y, White, 0.9);
            }
        }
        canvas.StrokeRect(left, top, boxWidth, boxHeight, LegendEdge);
        for (int i = 0; i < series.Count; i++)
        {
            int middle = top + 4 + i * rowHeight + rowHeight / 2;
            double x0 = left + 12, x1 = left + 12 + swatch;
            Stroke(canvas, (x0, middle), (x1, middle), series[i].Rgb, series[i].Dashed, 0);
            if (series[i].Markers)
            {
                canvas.Disc((x0 + x1) / 2, middle, MarkerRadius, series[i].Rgb);
            }
            canvas.Text(left + 12 + swatch + 10, middle - TextHeight / 2, series[i].Name, TextScale, Ink);
        }
    }

    /// <summary>
    /// The top-left corner of the legend: of the plot's four inner corners, the one whose box would hide the fewest
    /// points of the lines, sampled every few pixels along each segment; ties go to top right, then top left.
    /// </summary>
    private static (int Left, int Top) LegendCorner(
        Frame frame, IReadOnlyList<Series> series, int boxWidth, int boxHeight, int inset)
    {
        (int, int)[] corners =
        [
            (frame.Right - inset - boxWidth, frame.Top + inset),
            (frame.Left + inset, frame.Top + inset),
            (frame.Right - inset - boxWidth, frame.Bottom - inset - boxHeight),
            (frame.Left + inset, frame.Bottom - inset - boxHeight),
        ];
        var samples = new List<(double X, double Y)>();
        foreach (var run in series.SelectMany(s => Runs(frame, s)))
        {
            samples.Add(run[0]);
            for (int i = 1; i < run.Count; i++)
            {
                var (a, b) = (run[i - 1], run[i]);
                int steps = (int)Math.Ceiling(Math.Max(Math.Abs(b.X - a.X), Math.Abs(b.Y - a.Y)) / 3);
                for (int k = 1; k <= steps; k++)
                {
                    samples.Add((a.X + (b.X - a.X) * k / steps, a.Y + (b.Y - a.Y) * k / steps));
                }
            }
        }
        return corners.MinBy(c => samples.Count(p => p.X >= c.Item1 - 4 && p.X <= c.Item1 + boxWidth + 4
            && p.Y >= c.Item2 - 4 && p.Y <= c.Item2 + boxHeight + 4));
    }
}
