using System.Globalization;

namespace GpuCnn.Cli.Plotting;

/// <summary>
/// One axis of a chart: the value range it shows, its tick values and labels, and the map from value to pixel.
/// Linear axes are widened to whole tick steps of 1, 2 or 5 times a power of ten, so the ends carry labels.
/// </summary>
internal sealed class Axis
{
    private Axis(double min, double max, double[] ticks, string[] labels, bool log)
    {
        Min = min;
        Max = max;
        Ticks = ticks;
        Labels = labels;
        Log = log;
    }

    /// <summary>Smallest value shown.</summary>
    public double Min { get; }

    /// <summary>Largest value shown.</summary>
    public double Max { get; }

    /// <summary>Values that get a tick, a gridline and a label.</summary>
    public double[] Ticks { get; }

    /// <summary>The label of each tick.</summary>
    public string[] Labels { get; }

    /// <summary>Whether values are placed by their logarithm.</summary>
    public bool Log { get; }

    /// <summary>Where <paramref name="value"/> falls between pixel <paramref name="from"/> (at <see cref="Min"/>)
    /// and pixel <paramref name="to"/> (at <see cref="Max"/>).</summary>
    public double Map(double value, double from, double to)
    {
        double t = Log
            ? (Math.Log10(value) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min))
            : (value - Min) / (Max - Min);
        return from + t * (to - from);
    }

    /// <summary>A linear axis covering [<paramref name="min"/>, <paramref name="max"/>] with at most
    /// <paramref name="maxTicks"/> ticks.</summary>
    public static Axis Linear(double min, double max, int maxTicks)
    {
        (min, max) = Widen(min, max);
        var (ticks, step) = NiceTicks(min, max, maxTicks);
        // Enough decimals to tell neighbouring ticks apart, and no more.
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        bool scientific = Math.Max(Math.Abs(ticks[0]), Math.Abs(ticks[^1])) >= 1e6 || decimals > 5;
        string[] labels = ticks.Select(t => scientific
            ? t.ToString("0.##E+0", CultureInfo.InvariantCulture)
            : t.ToString("F" + decimals, CultureInfo.InvariantCulture)).ToArray();
        return new Axis(ticks[0], ticks[^1], ticks, labels, log: false);
    }

    /// <summary>
    /// A logarithmic axis from the power of ten at or below <paramref name="min"/> to the one at or above
    /// <paramref name="max"/>; both must be positive. Across few decades the 2s and 5s between get ticks too.
    /// </summary>
    public static Axis Logarithmic(double min, double max, int maxTicks)
    {
        int low = (int)Math.Floor(Math.Log10(min) + 1e-9), high = (int)Math.Ceiling(Math.Log10(max) - 1e-9);
        high = Math.Max(high, low + 1);
        int every = Math.Max(1, (int)Math.Ceiling((high - low + 1) / (double)maxTicks));
        var ticks = new List<double>();
        for (int e = low; e <= high; e += every)
        {
            ticks.Add(Math.Pow(10, e));
            if ((high - low) * 3 + 1 <= maxTicks && e < high)
            {
                ticks.Add(2 * Math.Pow(10, e));
                ticks.Add(5 * Math.Pow(10, e));
            }
        }
        string[] labels = ticks.Select(t => t is >= 1e-3 and < 1e5
            ? t.ToString("0.###", CultureInfo.InvariantCulture)
            : t.ToString("0E+0", CultureInfo.InvariantCulture)).ToArray();
        return new Axis(Math.Pow(10, low), Math.Pow(10, high), [.. ticks], labels, log: true);
    }

    /// <summary>
    /// Tick values spaced by the smallest step of 1, 2 or 5 times a power of ten that covers
    /// [<paramref name="min"/>, <paramref name="max"/>] in at most <paramref name="maxTicks"/> ticks, the first at or
    /// below min and the last at or above max. A range that straddles zero always takes three ticks, so fewer than
    /// three are never asked for.
    /// </summary>
    public static (double[] Ticks, double Step) NiceTicks(double min, double max, int maxTicks)
    {
        maxTicks = Math.Max(3, maxTicks);
        double rough = (max - min) / (maxTicks - 1);
        int exponent = (int)Math.Floor(Math.Log10(rough));
        foreach (int e in new[] { exponent - 1, exponent, exponent + 1 })
        {
            foreach (int mantissa in new[] { 1, 2, 5 })
            {
                // Ticks are index * mantissa * 10^e; dividing by 10^-e for negative e keeps 0.3 from printing
                // as 0.30000000000000004.
                double Value(long index) => e >= 0
                    ? index * mantissa * Math.Pow(10, e)
                    : index * mantissa / Math.Pow(10, -e);
                double step = Value(1);
                long first = (long)Math.Floor(min / step + 1e-9), last = (long)Math.Ceiling(max / step - 1e-9);
                if (last - first + 1 <= maxTicks)
                {
                    var ticks = new double[last - first + 1];
                    for (long i = first; i <= last; i++)
                    {
                        ticks[i - first] = Value(i);
                    }
                    return (ticks, step);
                }
            }
        }
        throw new InvalidOperationException($"No tick step found for [{min}, {max}].");
    }

    // A range of zero width (one point, or a flat series) would divide by zero; give it some room.
    private static (double, double) Widen(double min, double max)
    {
        if (max > min)
        {
            return (min, max);
        }
        double pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
        return (min - pad, max + pad);
    }
}
