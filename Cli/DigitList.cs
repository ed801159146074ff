using System.Globalization;

namespace GpuCnn.Cli;

/// <summary>Parses <c>--digits</c>: ranges and single digits, e.g. <c>0-4</c>, <c>5-9</c>, <c>1,3,7-9</c>.</summary>
internal static class DigitList
{
    public static byte[] Parse(string text)
    {
        var digits = new List<byte>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length > 2 || !bounds.All(IsDigit))
            {
                throw new FormatException($"--digits: '{part}' is neither a digit nor a range like 5-9.");
            }

            int first = Digit(bounds[0]), last = Digit(bounds[^1]);
            if (last < first)
            {
                throw new FormatException($"--digits: the range '{part}' runs backwards.");
            }

            for (var d = first; d <= last; d++)
            {
                if (digits.Contains((byte)d))
                {
                    throw new FormatException($"--digits: {d} appears twice in '{text}'.");
                }

                digits.Add((byte)d);
            }
        }

        return digits.Count >= 2 ? [.. digits]
            : throw new FormatException($"--digits: '{text}' selects fewer than 2 digits; a classifier needs 2.");
    }

    /// <summary>The form saved in checkpoint metadata and parsed back by <see cref="Parse"/>.</summary>
    public static string Format(IEnumerable<byte> digits) => string.Join(",", digits);

    private static bool IsDigit(string s) => s.Length == 1 && char.IsAsciiDigit(s[0]);

    private static int Digit(string s) => int.Parse(s, CultureInfo.InvariantCulture);
}
