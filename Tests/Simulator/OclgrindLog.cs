using System.Text.RegularExpressions;

namespace GpuCnn.Tests.Simulator;

/// <summary>One finding of the simulator: its first line (<c>Read-write data race at local memory address
/// ...</c>, <c>Invalid write of size 4 at global memory address ...</c>), the kernel it names and its whole
/// text, with the work-items and the source line.</summary>
internal sealed record OclgrindReport(string Title, string? Kernel, string Text);

/// <summary>Reads what Oclgrind writes: its log file (<c>OCLGRIND_LOG</c>) and the per-kernel instruction counts
/// it prints on standard output (<c>OCLGRIND_INST_COUNTS=1</c>).</summary>
internal static partial class OclgrindLog
{
    /// <summary>
    /// The reports in a log. Each starts with an unindented line; the lines that follow it are indented with a
    /// tab or blank. Anything unindented counts as a report, so no finding goes unnoticed because its wording is
    /// new: an empty log is the only clean one.
    /// </summary>
    public static IReadOnlyList<OclgrindReport> Parse(string log)
    {
        var reports = new List<OclgrindReport>();
        var lines = log.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0 || char.IsWhiteSpace(lines[i][0]))
            {
                continue;
            }

            var end = i + 1;
            while (end < lines.Length && (lines[end].Length == 0 || char.IsWhiteSpace(lines[end][0])))
            {
                end++;
            }

            var body = lines[i..end];
            const string prefix = "Kernel: ";
            var kernel = body.Select(l => l.Trim())
                .FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
            reports.Add(new OclgrindReport(lines[i].Trim(), kernel, string.Join('\n', body).TrimEnd()));
            i = end - 1;
        }

        return reports;
    }

    /// <summary>The kernels the simulator ran, from the instruction counts it prints after each one.</summary>
    public static IReadOnlySet<string> ExecutedKernels(string output) =>
        InstructionCounts().Matches(output).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"^Instructions executed for kernel '([^']+)':", RegexOptions.Multiline)]
    private static partial Regex InstructionCounts();
}
