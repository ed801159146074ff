using GpuCnn.Datasets.Imaging;

namespace GpuCnn.Cli.Plotting;

/// <summary>
/// Tiles equally sized float matrices, such as the filters of a convolution or the channels of a feature map, into
/// one greyscale image for looking at.
/// </summary>
public static class ImageGrid
{
    /// <summary>
    /// Lays the tiles out row by row, <paramref name="columns"/> to a row, with a separator <paramref name="gap"/>
    /// pixels wide between tiles and around the edge. Each tile is stretched to black-to-white by its own minimum
    /// and maximum, since filters differ in scale by orders of magnitude; a constant tile comes out mid-grey.
    /// </summary>
    /// <param name="tiles">Row-major matrices of <paramref name="tileHeight"/> x <paramref name="tileWidth"/> values.
    /// </param>
    /// <param name="tileHeight">Rows of each tile.</param>
    /// <param name="tileWidth">Columns of each tile.</param>
    /// <param name="columns">Tiles per row of the grid; 0 picks a near-square layout.</param>
    /// <param name="scale">Each value becomes a square of this many pixels, so 3x3 filters stay visible.</param>
    /// <param name="separator">Grey level of the separating lines.</param>
    /// <param name="gap">Width of the separating lines: tiles of a few large pixels need more than one to part.
    /// </param>
    public static Image Render(
        IReadOnlyList<float[]> tiles, int tileHeight, int tileWidth, int columns = 0, int scale = 1,
        byte separator = 128, int gap = 1)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        ArgumentOutOfRangeException.ThrowIfZero(tiles.Count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tileHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tileWidth);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        ArgumentOutOfRangeException.ThrowIfNegative(gap);
        for (int t = 0; t < tiles.Count; t++)
        {
            if (tiles[t] is null || tiles[t].Length != tileHeight * tileWidth)
            {
                throw new ArgumentException(
                    $"Tile {t} holds {tiles[t]?.Length ?? 0} values; a {tileHeight}x{tileWidth} tile needs " +
                    $"{tileHeight * tileWidth}.",
                    nameof(tiles));
            }
        }
        if (columns == 0)
        {
            columns = (int)Math.Ceiling(Math.Sqrt(tiles.Count));
        }
        columns = Math.Min(columns, tiles.Count);
        int rows = (tiles.Count + columns - 1) / columns;
        int cellWidth = tileWidth * scale + gap, cellHeight = tileHeight * scale + gap;
        var image = new Image(columns * cellWidth + gap, rows * cellHeight + gap, 1);
        Array.Fill(image.Pixels, separator);
        for (int t = 0; t < tiles.Count; t++)
        {
            int left = (t % columns) * cellWidth + gap, top = (t / columns) * cellHeight + gap;
            DrawTile(image, tiles[t], tileHeight, tileWidth, left, top, scale);
        }
        return image;
    }

    /// <summary>Renders the grid as <see cref="Render"/> does and writes it to <paramref name="path"/> as PNG.
    /// </summary>
    public static void Save(
        string path, IReadOnlyList<float[]> tiles, int tileHeight, int tileWidth, int columns = 0, int scale = 1,
        int gap = 1, byte separator = 128)
    {
        ArgumentNullException.ThrowIfNull(path);
        Png.Save(Render(tiles, tileHeight, tileWidth, columns, scale, separator, gap), path);
    }

    private static void DrawTile(Image image, float[] tile, int height, int width, int left, int top, int scale)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in tile)
        {
            if (float.IsFinite(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }
        float range = max - min;
        for (int r = 0; r < height; r++)
        {
            for (int c = 0; c < width; c++)
            {
                float v = tile[r * width + c];
                // NaN and infinities would poison the scale; they show as black so that they stand out as wrong.
                byte grey = !float.IsFinite(v) ? (byte)0
                    : range > 0 ? (byte)MathF.Round((v - min) / range * 255f)
                    : (byte)128;
                for (int dy = 0; dy < scale; dy++)
                {
                    image.Row(top + r * scale + dy).Slice(left + c * scale, scale).Fill(grey);
                }
            }
        }
    }
}
