namespace GpuCnn.Tests.Reference;

/// <summary>What a kernel should leave behind, built from the oracle's fresh results.</summary>
internal static class Expected
{
    /// <summary>A gradient added to a prefilled buffer, as every backward kernel must add rather than overwrite.
    /// </summary>
    public static double[] Add(float[] before, double[] gradient) =>
        before.Select((v, i) => v + gradient[i]).ToArray();

    /// <summary>Absolute slack for float sums of many terms, which drift by a few ulps of the largest partial sums:
    /// it follows the size of the values compared.</summary>
    public static double SumAtol(double[] expected) => 1e-5 * Math.Max(1.0, expected.Max(Math.Abs));
}
