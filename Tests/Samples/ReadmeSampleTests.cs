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
        var blocks = CSharpBlocks(Lines(Read("README.md"))).ToList();

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
        return (at < 0 ? null : CSharpBlocks(lines, at).FirstOrDefault())
            ?? throw new InvalidDataException($"No ```csharp block under '{heading}'.");
    }

    // The ```csharp blocks of a markdown text split into lines, from line `from` on.
    private static IEnumerable<string> CSharpBlocks(string[] lines, int from = 0)
    {
        for (var open = Array.IndexOf(lines, "```csharp", from); open >= 0;
            open = Array.IndexOf(lines, "```csharp", open + 1))
        {
            var close = Array.FindIndex(lines, open + 1, l => l == "```");
            if (close < 0)
            {
                throw new InvalidDataException($"The ```csharp block at line {open + 1} is not closed.");
            }

            yield return string.Join('\n', lines[(open + 1)..close]);
            open = close;
        }
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
