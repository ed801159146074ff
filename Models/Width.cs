namespace GpuCnn.Models;

/// <summary>Channel counts of a narrowed (or widened) architecture, for the small versions tests build.</summary>
internal static class Width
{
    /// <summary><paramref name="channels"/> times <paramref name="width"/>, rounded to a positive multiple of
    /// <paramref name="multiple"/> (a grouped convolution needs channel counts its groups divide).</summary>
    internal static int Scale(int channels, float width, int multiple = 1)
    {
        if (!(width > 0) || !float.IsFinite(width))
        {
            throw new ArgumentOutOfRangeException(nameof(width), width,
                "A width multiplier must be positive and finite (1 is the architecture as published).");
        }

        var units = (int)Math.Round(channels * (double)width / multiple, MidpointRounding.AwayFromZero);
        return Math.Max(1, units) * multiple;
    }
}
