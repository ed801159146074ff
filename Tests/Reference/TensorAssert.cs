using System.Globalization;
using System.Text;
using Xunit;

namespace GpuCnn.Tests.Reference;

/// <summary>
/// The one comparison every kernel test uses: element i passes when |got - expected| &lt;= atol + rtol*|expected|.
/// A failure lists the first mismatches with their index, so a wrong stride or offset shows in the pattern of
/// indices rather than as a single number.
/// </summary>
internal static class TensorAssert
{
    private const int MismatchesShown = 6;

    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double atol, double rtol,
        string what)
    {
        var widened = new double[actual.Length];
        for (var i = 0; i < actual.Length; i++)
        {
            widened[i] = actual[i];
        }

        Close(expected, widened, atol, rtol, what);
    }

    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double atol, double rtol,
        string what)
    {
        if (expected.Length != actual.Length)
        {
            Assert.Fail($"{what}: expected {expected.Length} elements, got {actual.Length}.");
        }

        var report = new StringBuilder();
        var mismatches = 0;
        var worst = -1;
        var worstExcess = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]);
            var allowed = atol + rtol * Math.Abs(expected[i]);

            // Written as a negated <= so that NaN in either operand counts as a mismatch.
            if (!(error <= allowed))
            {
                mismatches++;
                if (mismatches <= MismatchesShown)
                {
                    report.Append(CultureInfo.InvariantCulture,
                        $"\n  [{i}] got {actual[i]:G9}, expected {expected[i]:G9}");
                }

                var excess = double.IsNaN(error) ? double.PositiveInfinity : error - allowed;
                if (worst < 0 || excess > worstExcess)
                {
                    worst = i;
                    worstExcess = excess;
                }
            }
        }

        if (mismatches > 0)
        {
            Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{what}: {mismatches} of {expected.Length} elements break |got - expected| <= {atol:G3} + " +
                $"{rtol:G3}*|expected|; worst at [{worst}]: got {actual[worst]:G9}, expected {expected[worst]:G9}." +
                $"\nFirst mismatches:{report}"));
        }
    }

    /// <summary>Widens a float tensor so that it can feed the double reference exactly.</summary>
    public static double[] ToDouble(this float[] values) => Array.ConvertAll(values, v => (double)v);
}
