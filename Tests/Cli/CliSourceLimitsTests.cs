using System.Text.RegularExpressions;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary>
/// Keeps the tool's sources small enough to read: no file of Cli/ (Plotting/ included) over 250 lines and no method
/// over 60, counted from its signature to its closing brace. A long command is split into option groups and short
/// steps rather than grown in place.
/// </summary>
public sealed partial class CliSourceLimitsTests
{
    private const int MaxFileLines = 250;
    private const int MaxMethodLines = 60;
    private const string Type = @"(?:\([^()]*\)|[\w.]+(?:<.+>)?)(?:\[\])*\??";

    [Fact]
    public void NoCliFileIsLongerThan250Lines()
    {
        var offenders = CliSources()
            .Select(path => (Path: path, Lines: LinesOf(path).Length))
            .Where(f => f.Lines > MaxFileLines)
            .Select(f => $"{f.Path}: {f.Lines} lines")
            .ToList();

        Assert.True(offenders.Count == 0, $"Over {MaxFileLines} lines:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void NoCliMethodIsLongerThan60Lines()
    {
        var offenders = CliSources()
            .SelectMany(path => Methods(LinesOf(path)).Select(m => (Path: path, Method: m)))
            .Where(x => x.Method.Lines > MaxMethodLines)
            .Select(x => $"{x.Path}:{x.Method.FirstLine}: {x.Method.Lines} lines: {x.Method.Signature}")
            .ToList();

        Assert.True(offenders.Count == 0, $"Over {MaxMethodLines} lines:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void TheMethodScannerMeasuresBlockAndExpressionBodies()
    {
        string[] source =
        [
            "namespace N;",
            "",
            "internal static class C",
            "{",
            "    /// <summary>Doc.</summary>",
            "    public static int Block(string a,",
            "        int b)",
            "    {",
            "        var s = $\"{a} }}\";",
            "        if (b > 0)",
            "        {",
            "            return 1;",
            "        }",
            "",
            "        return 0;",
            "    }",
            "",
            "    private static (int A, string B) Tuple(int x) => x switch",
            "    {",
            "        0 => (0, \"zero\"),",
            "        _ => (x, \"other\"),",
            "    };",
            "",
            "    public int Line(int x) => x + 1;",
            "",
            "    private sealed record Settings(string Model, int Epochs)",
            "    {",
            "        public string? Dataset { get; init; }",
            "    }",
            "}",
        ];

        var methods = Methods(source)
            .Select(m => (m.Name, m.FirstLine, m.Lines))
            .ToList();

        Assert.Equal([("Block", 6, 11), ("Tuple", 18, 5), ("Line", 24, 1)], methods);
    }

    private static IEnumerable<string> CliSources()
    {
        var cli = Path.Combine(RepositoryRoot(), "Cli");
        var files = Directory.EnumerateFiles(cli, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(Path.GetRelativePath(cli, f)))
            .Select(f => Path.GetRelativePath(RepositoryRoot(), f))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(files);
        return files;
    }

    private static bool IsBuildOutput(string relative) =>
        relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj";

    private static string[] LinesOf(string relative)
    {
        var lines = File.ReadAllText(Path.Combine(RepositoryRoot(), relative)).Split('\n');
        return lines[^1].Length == 0 ? lines[..^1] : lines;
    }

    // The test binaries sit under the repository (Tests/bin/...); a run from elsewhere finds it by the working
    // directory.
    private static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "gpu-cnn.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("gpu-cnn.sln not found above the test binaries or the working directory.");
    }

    /// <summary>A method (or constructor or local function) found in a source file.</summary>
    private sealed record Method(int FirstLine, int Lines, string Name, string Signature);

    /// <summary>
    /// The methods of a file in the house style (4-space indent, braces on their own lines): a declaration line
    /// whose parameter list opens after a return type and a name, ending at the closing brace of its indent, or, for
    /// an expression body, at the first line ending in ';' no deeper than one indent below it. Braces inside strings
    /// do not confuse it, since it follows indentation rather than counting braces.
    /// </summary>
    private static IEnumerable<Method> Methods(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            var text = lines[i].Trim();
            var indent = Indent(lines[i]);
            var declaration = Declaration().Match(text);
            if (indent < 4 || !declaration.Success || NotAMethod().IsMatch(text))
            {
                continue;
            }

            if (End(lines, i, indent) is { } end)
            {
                yield return new Method(i + 1, end - i + 1, declaration.Groups["name"].Value, text);
            }
        }
    }

    private static int? End(string[] lines, int first, int indent)
    {
        for (var j = first; j < lines.Length; j++)
        {
            var text = lines[j].Trim();
            if (j > first && text.StartsWith('{') && Indent(lines[j]) == indent)
            {
                return Array.FindIndex(lines, j + 1, l => l.Trim().StartsWith('}') && Indent(l) == indent) is var k
                    && k >= 0 ? k : null;
            }

            if (text.Contains("=>", StringComparison.Ordinal))
            {
                return Array.FindIndex(lines, j, l => l.TrimEnd().EndsWith(';') && Indent(l) <= indent + 4) is var k
                    && k >= 0 ? k : null;
            }

            if (text.EndsWith(';'))
            {
                return null; // abstract, partial or extern: no body
            }
        }

        return null;
    }

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;

    // Modifiers and a return type (a name with generics, arrays, nullability, or a tuple) before the method's name,
    // or either alone (a constructor; a local function), then '('.
    [GeneratedRegex(@"^(?:(?:(?:public|private|internal|protected|static|sealed|override|virtual|abstract|async|" +
        @"partial|unsafe|extern|new|readonly|file)\s+)+(?:" + Type + @"\s+)?|" + Type + @"\s+)" +
        @"(?<name>\w+)(?:<[\w, ]+>)?\s*\(")]
    private static partial Regex Declaration();

    // Statements that look like declarations (return F(x), new T(y), await G()) and type declarations.
    [GeneratedRegex(@"^(?:return|new|await|throw|yield|using|var|else|case|when|if|for|foreach|while|switch|" +
        @"catch|lock|fixed|nameof|typeof|sizeof|default|checked|unchecked|not|is|and|or|in|out|ref)\b|" +
        @"\b(?:class|record|struct|interface|enum|delegate)\s+\w")]
    private static partial Regex NotAMethod();
}
