using Xunit;

namespace GpuCnn.Tests.Samples;

/// <summary>
/// The README's "Using the library" code is Samples/MnistLoop/Program.cs, which CI compiles against the packed
/// packages and runs: the two must not drift apart, and the loop must stay short enough to read at a glance.
/// </summary>
public sealed class ReadmeSampleTests
{
    private const string Section = "## Using the library";
    private const string SamplePath = "Samples/MnistLoop/Program.cs";

    [Fact]
    public void TheReadmesLibraryCodeIsTheCompiledSampleVerbatim()
    {
        var block = FirstCodeBlockAfter(Read("README.md"), Section);

        Assert.Equal(Lines(Read(SamplePath)), Lines(block));
    }

    [Fact]
    public void EveryCSharpBlockOfTheReadmeIsASampleThatCiBuilds()
    {
        var root = RepositoryRoot();
        var samples = Directory.GetFiles(Path.Combine(root, "Samples"), "Program.cs", SearchOption.AllDirectories)
            .ToDictionary(f => string.Join('\n', Lines(File.ReadAllText(f))), f => Path.GetDirectoryName(f)!);
        var ci = Read(".ci/run");
        var blocks = CSharpBlocks(Read("README.md"));

        Assert.True(blocks.Count >= 3, $"only {blocks.Count} C# blocks found in the README");
        foreach (var block in blocks)
        {
            Assert.True(samples.TryGetValue(string.Join('\n', Lines(block)), out var folder),
                $"README block starting '{Lines(block)[0]}' is not the Program.cs of any sample");
            var project = Path.GetFileName(folder) + ".csproj";
            Assert.True(File.Exists(Path.Combine(folder, project)), $"{folder} has no {project}");
            Assert.Contains($"Samples/{Path.GetFileName(folder)}/{project}", ci, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheSampleGoesFromTheDatasetsToAPredictionInAtMost15Lines()
    {
        var lines = Lines(Read(SamplePath));

        Assert.InRange(lines.Length, 1, 15);
        Assert.Contains(lines, l => l.Contains("Mnist.Load", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("new FitLoop(", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(".Classify(", StringComparison.Ordinal));
    }

    [Fact]
    public void TheExtractionFindsTheFirstBlockOfTheSection()
    {
        var text = "# A\n```csharp\nwrong\n```\n## Using the library\n\nIntro.\n\n```csharp\nright\n  indented\n```\n" +
            "```csharp\nlater\n```\n";

        Assert.Equal(["right", "  indented"], Lines(FirstCodeBlockAfter(text, Section)));
        Assert.Throws<InvalidDataException>(() => FirstCodeBlockAfter("## Other\n```csharp\nx\n```\n", Section));
    }

    private static string FirstCodeBlockAfter(string markdown, string heading)
    {
        var lines = Lines(markdown);
        var at = Array.IndexOf(lines, heading);
        var open = at < 0 ? -1 : Array.FindIndex(lines, at, l => l == "```csharp");
        var close = open < 0 ? -1 : Array.FindIndex(lines, open + 1, l => l == "```");
        return close < 0
            ? throw new InvalidDataException($"No ```csharp block under '{heading}'.")
            : string.Join('\n', lines[(open + 1)..close]);
    }

    private static List<string> CSharpBlocks(string markdown)
    {
        var lines = Lines(markdown);
        var blocks = new List<string>();
        for (var open = Array.IndexOf(lines, "```csharp"); open >= 0;
            open = Array.IndexOf(lines, "```csharp", open + 1))
        {
            var close = Array.FindIndex(lines, open + 1, l => l == "```");
            blocks.Add(string.Join('\n', lines[(open + 1)..close]));
            open = close;
        }

        return blocks;
    }

    // Line by line, without the trailing newline and whatever line endings a checkout gave the files.
    private static string[] Lines(string text) => text.Replace("\r\n", "\n").TrimEnd('\n').Split('\n');

    private static string Read(string relative) => File.ReadAllText(Path.Combine(RepositoryRoot(), relative));

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
}
