using GpuCnn.Datasets.Imaging;

namespace GpuCnn.Cli.Plotting;

/// <summary>
/// An RGB drawing surface over an <see cref="Image"/>: blended pixels, rectangles, anti-aliased thick lines and
/// bitmap text. Drawing outside <see cref="Clip"/> is dropped silently, which is what keeps data inside the axes.
/// </summary>
internal sealed class Canvas
{
    public Canvas(int width, int height, uint background)
    {
        Image = new Image(width, height, 3);
        Clip = (0, 0, width, height);
        FillRect(0, 0, width, height, background);
    }

    /// <summary>The pixels drawn so far.</summary>
    public Image Image { get; }

    /// <summary>Drawable area: left and top inclusive, right and bottom exclusive.</summary>
    public (int Left, int Top, int Right, int Bottom) Clip { get; set; }

    /// <summary>Mixes colour <paramref name="rgb"/> into pixel (x, y) with weight <paramref name="alpha"/> in [0, 1].
    /// </summary>
    public void Blend(int x, int y, uint rgb, double alpha)
    {
        if (x < Clip.Left || x >= Clip.Right || y < Clip.Top || y >= Clip.Bottom || alpha <= 0)
        {
            return;
        }
        alpha = Math.Min(alpha, 1);
        int at = (y * Image.Width + x) * 3;
        byte[] p = Image.Pixels;
        for (int c = 0; c < 3; c++)
        {
            int source = (int)(rgb >> (16 - 8 * c)) & 0xFF;
            p[at + c] = (byte)Math.Round(p[at + c] + (source - p[at + c]) * alpha);
        }
    }

    public void FillRect(int x, int y, int width, int height, uint rgb)
    {
        for (int j = y; j < y + height; j++)
        {
            for (int i = x; i < x + width; i++)
            {
                Blend(i, j, rgb, 1);
            }
        }
    }

    /// <summary>A one-pixel rectangle outline around (x, y, width, height).</summary>
    public void StrokeRect(int x, int y, int width, int height, uint rgb)
    {
        FillRect(x, y, width, 1, rgb);
        FillRect(x, y + height - 1, width, 1, rgb);
        FillRect(x, y, 1, height, rgb);
        FillRect(x + width - 1, y, 1, height, rgb);
    }

    /// <summary>
    /// A line of <paramref name="thickness"/> pixels with round ends. Each pixel near it is covered by how far its
    /// centre lies inside the stroke, which anti-aliases the edges without a second pass.
    /// </summary>
    public void Line(double x0, double y0, double x1, double y1, double thickness, uint rgb)
    {
        double half = thickness / 2;
        int left = (int)Math.Floor(Math.Min(x0, x1) - half - 1), right = (int)Math.Ceiling(Math.Max(x0, x1) + half + 1);
        int top = (int)Math.Floor(Math.Min(y0, y1) - half - 1), bottom = (int)Math.Ceiling(Math.Max(y0, y1) + half + 1);
        left = Math.Max(left, Clip.Left);
        top = Math.Max(top, Clip.Top);
        right = Math.Min(right, Clip.Right - 1);
        bottom = Math.Min(bottom, Clip.Bottom - 1);
        double dx = x1 - x0, dy = y1 - y0, length2 = dx * dx + dy * dy;
        for (int y = top; y <= bottom; y++)
        {
            for (int x = left; x <= right; x++)
            {
                // Pixel centres sit at +0.5; the distance is to the nearest point of the segment.
                double px = x + 0.5 - x0, py = y + 0.5 - y0;
                double t = length2 > 0 ? Math.Clamp((px * dx + py * dy) / length2, 0, 1) : 0;
                double ex = px - t * dx, ey = py - t * dy;
                double coverage = half + 0.5 - Math.Sqrt(ex * ex + ey * ey);
                if (coverage > 0)
                {
                    Blend(x, y, rgb, coverage);
                }
            }
        }
    }

    /// <summary>A filled disc of <paramref name="radius"/> pixels centred on (x, y).</summary>
    public void Disc(double x, double y, double radius, uint rgb) => Line(x, y, x, y, 2 * radius, rgb);

    /// <summary>
    /// Draws <paramref name="text"/> with its top-left corner at (x, y), each font pixel a square of
    /// <paramref name="scale"/> pixels. With <paramref name="vertical"/> it reads bottom to top, the corner then
    /// being the text's bottom-left, for a y-axis label.
    /// </summary>
    public void Text(int x, int y, string text, int scale, uint rgb, bool vertical = false)
    {
        for (int k = 0; k < text.Length; k++)
        {
            for (int row = 0; row < BitmapFont.GlyphHeight; row++)
            {
                for (int column = 0; column < BitmapFont.GlyphWidth; column++)
                {
                    if (!BitmapFont.IsSet(text[k], column, row))
                    {
                        continue;
                    }
                    int along = (k * BitmapFont.Advance + column) * scale, across = row * scale;
                    int px = vertical ? x + across : x + along;
                    int py = vertical ? y - along - scale : y + across;
                    FillRect(px, py, scale, scale, rgb);
                }
            }
        }
    }
}
