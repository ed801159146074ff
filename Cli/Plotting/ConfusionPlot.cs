using System.Globalization;
using GpuCnn.Datasets.Imaging;

namespace GpuCnn.Cli.Plotting;

/// <summary>
/// Draws a confusion matrix as a heat map: a cell per (true, predicted) class pair, shaded by the share of the true
/// class's samples it holds (white none, dark blue all), with the count written in cells large enough for it.
/// </summary>
internal static class ConfusionPlot
{
    private const uint White = 0xFFFFFF, Ink = 0x202020, Dark = 0x08306B;
    private const int Scale = 2, Pad = 16;
    private static readonly int TextHeight = BitmapFont.GlyphHeight * Scale;

    /// <summary>The picture of <paramref name="matrix"/>; rows and columns are labelled with
    /// <paramref name="label"/> (clipped to 12 characters) when the cells are wide enough, else with indices.</summary>
    public static Image Render(ConfusionMatrix matrix, Func<int, string> label, string title)
    {
        int n = matrix.Classes;
        int cell = Math.Clamp(640 / n, 4, 48);
        string[] names = [.. Enumerable.Range(0, n).Select(i => Clip(cell >= TextHeight + 2 ? label(i) : "", i))];
        int left = Pad + TextHeight + 8 + names.Max(s => BitmapFont.Width(s, Scale)) + 8;
        int top = Pad + BitmapFont.GlyphHeight * 3 + Pad + TextHeight + 8;
        int width = Math.Max(left + n * cell + Pad, BitmapFont.Width(title, 3) + 2 * Pad);
        var canvas = new Canvas(width, top + n * cell + 8 + TextHeight + Pad, White);
        canvas.Text((width - BitmapFont.Width(title, 3)) / 2, Pad, title, 3, Ink);
        for (int a = 0; a < n; a++)
        {
            long total = matrix.ClassTotal(a);
            for (int p = 0; p < n; p++)
            {
                double share = total == 0 ? 0 : (double)matrix[a, p] / total;
                canvas.FillRect(left + p * cell, top + a * cell, cell, cell, Shade(share));
                DrawCount(canvas, matrix[a, p], left + p * cell, top + a * cell, cell, share);
            }

            if (names[a].Length > 0)
            {
                int y = top + a * cell + (cell - TextHeight) / 2;
                canvas.Text(left - 8 - BitmapFont.Width(names[a], Scale), y, names[a], Scale, Ink);
                canvas.Text(left + a * cell + (cell - BitmapFont.Width(ShortIndex(a), Scale)) / 2,
                    top - TextHeight - 8, ShortIndex(a), Scale, Ink);
            }
        }

        canvas.StrokeRect(left - 1, top - 1, n * cell + 2, n * cell + 2, Ink);
        const string across = "predicted class", down = "true class";
        canvas.Text(left + (n * cell - BitmapFont.Width(across, Scale)) / 2, top + n * cell + 8, across, Scale, Ink);
        canvas.Text(Pad, top + (n * cell + BitmapFont.Width(down, Scale)) / 2, down, Scale, Ink, vertical: true);
        return canvas.Image;
    }

    /// <summary>Renders as <see cref="Render"/> does and writes the PNG to <paramref name="path"/>.</summary>
    public static void Save(string path, ConfusionMatrix matrix, Func<int, string> label, string title) =>
        Png.Save(Render(matrix, label, title), path);

    /// <summary>White for 0, <c>Dark</c> for 1, linearly per channel between.</summary>
    public static uint Shade(double share)
    {
        uint rgb = 0;
        for (int shift = 16; shift >= 0; shift -= 8)
        {
            double from = 0xFF, to = (Dark >> shift) & 0xFF;
            rgb |= (uint)Math.Round(from + (to - from) * Math.Clamp(share, 0, 1)) << shift;
        }

        return rgb;
    }

    private static void DrawCount(Canvas canvas, long count, int x, int y, int cell, double share)
    {
        string text = count.ToString(CultureInfo.InvariantCulture);
        int scale = BitmapFont.Width(text, Scale) + 4 <= cell ? Scale : 1;
        if (count == 0 || BitmapFont.Width(text, scale) + 4 > cell || BitmapFont.GlyphHeight * scale + 4 > cell)
        {
            return;
        }

        canvas.Text(x + (cell - BitmapFont.Width(text, scale)) / 2, y + (cell - BitmapFont.GlyphHeight * scale) / 2,
            text, scale, share > 0.5 ? White : Ink);
    }

    private static string ShortIndex(int i) => i.ToString(CultureInfo.InvariantCulture);

    // "3 cat", or "3" for a class named by its index; empty where the cells are too small for labels.
    private static string Clip(string name, int index) =>
        name.Length == 0 ? "" : name == ShortIndex(index) ? name
        : $"{index} {(name.Length <= 12 ? name : name[..11] + "~")}";
}
