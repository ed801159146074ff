using GpuCnn.Cli.Plotting;
using GpuCnn.Datasets.Imaging;
using Xunit;

namespace GpuCnn.Tests.Plotting;

public sealed class LineChartTests
{
    private static (byte R, byte G, byte B) At(Image image, int x, int y)
    {
        int at = (y * image.Width + x) * 3;
        return (image.Pixels[at], image.Pixels[at + 1], image.Pixels[at + 2]);
    }

    private static int Count(Image image, uint rgb)
    {
        int count = 0;
        for (int i = 0; i < image.Pixels.Length; i += 3)
        {
            uint pixel = (uint)(image.Pixels[i] << 16 | image.Pixels[i + 1] << 8 | image.Pixels[i + 2]);
            count += pixel == rgb ? 1 : 0;
        }
        return count;
    }

    [Fact]
    public void StraightLineLandsWhereTheAxesMapIt()
    {
        (double, double)[] points = [(0, 0), (10, 10)];
        Series[] series = [new("diagonal", points, 0xFF0000)];
        var image = LineChart.Render("t", "x", "y", series, 800, 500);
        var frame = LineChart.Frame.Lay("t", "x", "y", series, 800, 500, logY: false);

        Assert.Equal([0, 2, 4, 6, 8, 10], frame.X.Ticks);
        Assert.Equal((0.0, 10.0), (frame.Y.Min, frame.Y.Max));
        for (double v = 0.5; v < 10; v += 0.5)
        {
            int x = (int)frame.PixelX(v), y = (int)frame.PixelY(v);
            Assert.Equal(((byte)255, (byte)0, (byte)0), At(image, x, y));
            // Well off the line, above it, is background or gridline: no trace of red.
            var (r, g, b) = At(image, x, y - 12);
            Assert.True(r == g && g == b, $"({x}, {y - 12}) is ({r}, {g}, {b})");
        }
        // The ends of the diagonal are the plot's bottom-left and top-right corners.
        Assert.True(frame.PixelX(0) < frame.PixelX(10));
        Assert.True(frame.PixelY(0) > frame.PixelY(10));
    }

    [Fact]
    public void LegendShowsEverySeriesColour()
    {
        // Series without drawable points appear in the legend alone, so their colour can only come from there.
        Series[] series =
        [
            new("a", [(0, 1), (1, 2)], 0x00AA00),
            new("b", [(double.NaN, 1)], 0x0000CC),
            new("c", [], 0xCC00CC, Dashed: true, Markers: true),
        ];

        var image = LineChart.Render("", "", "", series);

        Assert.True(Count(image, 0x0000CC) > 20);
        Assert.True(Count(image, 0xCC00CC) > 20);
        Assert.True(Count(image, 0x00AA00) > Count(image, 0x0000CC));
    }

    [Fact]
    public void LegendAvoidsTheData()
    {
        // A line across the top tenth of the plot, and one down its middle: the legend must go to a bottom corner.
        Series[] series =
            [new("flat high", [(0, 9), (10, 9)], 0x0000FF), new("middle", [(5, 0), (5, 10)], 0x00FF00)];
        var image = LineChart.Render("", "", "", series, 600, 400);
        var frame = LineChart.Frame.Lay("", "", "", series, 600, 400, logY: false);

        // The legend's border colour shows up in the lower half of the plot, never in the upper.
        int upper = 0, lower = 0;
        for (int y = frame.Top + 2; y < frame.Bottom - 2; y++)
        {
            for (int x = frame.Left + 2; x < frame.Right - 2; x++)
            {
                if (At(image, x, y) == (0x90, 0x90, 0x90))
                {
                    if (y < (frame.Top + frame.Bottom) / 2)
                    {
                        upper++;
                    }
                    else
                    {
                        lower++;
                    }
                }
            }
        }
        Assert.Equal(0, upper);
        Assert.True(lower > 50);
    }

    [Theory]
    [InlineData(0, 1, 6, new[] { 0, 0.2, 0.4, 0.6, 0.8, 1.0 })]
    [InlineData(-3.7, 12.1, 10, new[] { -4.0, -2, 0, 2, 4, 6, 8, 10, 12, 14 })]
    [InlineData(0.013, 0.048, 5, new[] { 0.01, 0.02, 0.03, 0.04, 0.05 })]
    [InlineData(120, 980, 4, new[] { 0.0, 500, 1000 })]
    public void TicksFollowOneTwoFiveSteps(double min, double max, int maxTicks, double[] expected)
    {
        var (ticks, _) = Axis.NiceTicks(min, max, maxTicks);

        Assert.Equal(expected, ticks);
    }

    [Fact]
    public void TickStepsAreAlwaysOneTwoOrFiveTimesAPowerOfTen()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 500; trial++)
        {
            double min = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-4, 6));
            double max = min + random.NextDouble() * Math.Pow(10, random.Next(-4, 6)) + 1e-9;
            int maxTicks = random.Next(2, 15);

            var (ticks, step) = Axis.NiceTicks(min, max, maxTicks);

            double mantissa = step / Math.Pow(10, Math.Floor(Math.Log10(step) + 1e-9));
            Assert.Contains(Math.Round(mantissa, 6), new[] { 1.0, 2.0, 5.0 });
            Assert.InRange(ticks.Length, 2, Math.Max(3, maxTicks));
            Assert.True(ticks[0] <= min + 1e-9 * step && ticks[^1] >= max - 1e-9 * step);
        }
    }

    [Fact]
    public void TickLabelsHaveJustEnoughDecimals()
    {
        Assert.Equal(["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"], Axis.Linear(0, 2.4, 6).Labels);
        Assert.Equal(["0", "20", "40", "60", "80", "100"], Axis.Linear(3, 97, 6).Labels);
    }

    [Fact]
    public void LogAxisTicksArePowersOfTen()
    {
        var axis = Axis.Logarithmic(0.03, 2.5, 5);

        Assert.Equal([0.01, 0.1, 1, 10], axis.Ticks);
        Assert.Equal(["0.01", "0.1", "1", "10"], axis.Labels);
        Assert.Equal(0.5, axis.Map(0.1, 0, 1) * 3 - 0.5, 9);
    }

    [Fact]
    public void SaveWritesAPngThatDecodes()
    {
        string path = Path.Combine(Path.GetTempPath(), "gpucnn-chart-" + Guid.NewGuid().ToString("N") + ".png");
        try
        {
            LineChart.Save(path, "title", "x", "y", [new("s", [(1, 1), (2, 4), (3, 9)], 0x336699)], 400, 300);

            var image = Png.Load(path);

            Assert.Equal((400, 300, 3), (image.Width, image.Height, image.Channels));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
