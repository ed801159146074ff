namespace GpuCnn.Cli.Plotting;

/// <summary>One line of a <see cref="LineChart"/>.</summary>
/// <param name="Name">Shown in the legend.</param>
/// <param name="Points">The points in drawing order; a non-finite coordinate (or, on a log axis, a y at or below
/// zero) breaks the line there.</param>
/// <param name="Rgb">Colour as 0xRRGGBB.</param>
/// <param name="Dashed">Draw the line dashed, for example for a test curve beside its training curve.</param>
/// <param name="Markers">Draw a dot at every point.</param>
public sealed record Series(
    string Name, IReadOnlyList<(double X, double Y)> Points, uint Rgb, bool Dashed = false, bool Markers = false);
