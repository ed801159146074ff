using System.Text.RegularExpressions;
using GpuCnn.Cli;
using GpuCnn.Models;
using GpuCnn.Tests.Datasets;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary>What a new user meets first: help that fits 100 columns, the same option names on every command (old
/// spellings kept), "did you mean" for a mistyped model, command, option or value, and each error one line.
/// </summary>
public sealed partial class CliNamesTests
{
    [Fact]
    public void NoHelpLineOfAnyCommandIsWiderThan100Columns()
    {
        var (code, top, _) = Gpucnn.Run("--help");
        var commands = Commands(top);

        Assert.Equal(0, code);
        Assert.Contains("train", commands);
        Assert.Contains("summary", commands);
        Assert.True(commands.Count >= 12, string.Join(", ", commands));
        var wide = new List<string>();
        foreach (var args in commands.Select(c => new[] { c, "--help" }).Prepend(["--help"]))
        {
            var (helpCode, help, error) = Gpucnn.Run(args);
            Assert.True(helpCode == 0, $"{string.Join(' ', args)}: {error}");
            wide.AddRange(help.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 100)
                .Select(l => $"{string.Join(' ', args)}: {l.Length}: {l}"));
        }

        Assert.True(wide.Count == 0, string.Join('\n', wide));
    }

    [Fact]
    public void TopLevelHelpNamesTheCommandsButNotEveryModel()
    {
        var (_, help, _) = Gpucnn.Run("--help");

        Assert.Contains("summary <model>", help);
        Assert.DoesNotContain("resnet18-cifar", help);
    }

    [Theory]
    [InlineData("unknown model 'lenet'; did you mean 'lenet5'? (gpucnn train --help lists the models)",
        "train", "--model", "lenet")]
    [InlineData("unknown model 'vgg'; did you mean 'vgg11', 'vgg13' or 'vgg16'? (gpucnn summary --help lists the " +
        "models)", "summary", "vgg")]
    [InlineData("unknown command 'tran'; did you mean 'train'? (gpucnn --help lists the commands)", "tran")]
    [InlineData("unknown option '--epoch'; did you mean '--epochs'? (gpucnn train --help lists the options)",
        "train", "--epoch", "3")]
    [InlineData("unknown option '--verison'; did you mean '--version'? (gpucnn --help lists the options)",
        "--verison")]
    [InlineData("--optimizer must be adam, adamw, adadelta, sgd or rmsprop, got 'adm'; did you mean 'adam'?", "train",
        "--optimizer", "adm")]
    [InlineData("unexpected argument 'lenet5'; did you mean '--model lenet5'?", "train", "lenet5")]
    [InlineData("vgg16 takes 3x224x224 input; eval takes lenet5, seednet, vgg11-cifar, vgg16-cifar, " +
        "resnet18-cifar (gpucnn eval --help lists the models)", "eval", "--model", "vgg16", "--checkpoint", "x")]
    [InlineData("summary takes one model: as the argument or with --model, not both.", "summary", "lenet5",
        "--model", "seednet")]
    [InlineData("--lr needs a value.", "train", "--lr")]
    [InlineData("--prefetch must be true or false, got 'maybe'.", "train", "--prefetch=maybe")]
    public void AMistakeIsOneLineWithTheNearestNameAndAHintToTheHelp(string expected, params string[] args)
    {
        var (code, output, error) = Gpucnn.Run(args);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("gpucnn: " + expected, line);
        Assert.Contains("--help", line);
        Assert.DoesNotContain("System.", line);
    }

    [Fact]
    public void AFarNameSuggestsNothing()
    {
        var (_, _, error) = Gpucnn.Run("summary", "alexnet9000");

        Assert.Equal("gpucnn: unknown model 'alexnet9000' (gpucnn summary --help lists the models)", error.Trim());
    }

    [Theory]
    [InlineData("LeNet5")]
    [InlineData("LENET5")]
    public void AModelNameIsMatchedIgnoringCase(string typed)
    {
        var (code, output, error) = Gpucnn.Run("summary", typed);
        var (optionCode, optionOutput, _) = Gpucnn.Run("summary", "--model", typed);

        Assert.True(code == 0, error);
        Assert.Matches(@"total\s+61,706\s+416,520", output);
        Assert.Equal(0, optionCode);
        Assert.Equal(output, optionOutput);
    }

    [Fact]
    public void BatchAndBatchSizeAreOneOptionOnEveryCommandThatTakesABatch()
    {
        var (code, alias, _) = Gpucnn.Run("summary", "lenet5", "--batch", "8");
        var (_, name, _) = Gpucnn.Run("summary", "lenet5", "--batch-size", "8");
        var (_, other, _) = Gpucnn.Run("summary", "lenet5", "--batch-size", "512");

        Assert.Equal(0, code);
        Assert.Equal(alias, name);
        Assert.NotEqual(name, other); // the batch reaches the totals
        foreach (var command in new[] { "train", "eval", "bench", "bench-conv", "exercise", "summary" })
        {
            var (_, help, _) = Gpucnn.Run(command, "--help");
            Assert.Contains("--batch, --batch-size", help);
        }

        // The error names the spelling typed.
        Assert.StartsWith("gpucnn: --batch must be at least 1, got 0.", Gpucnn.Run("bench-conv", "--batch", "0").Error);
        Assert.StartsWith("gpucnn: --batch-size must be at least 1, got 0.",
            Gpucnn.Run("bench-conv", "--batch-size", "0").Error);
    }

    [Theory]
    [InlineData("--data")]
    [InlineData("--data-dir")]
    public void FetchTakesDataAsTrainAndEvalDo(string option)
    {
        using var data = new IdxFixture();
        Gpucnn.WriteTinyMnist(data, train: 30, test: 10);

        var (code, output, error) = Gpucnn.Run("fetch", option, data.Directory);

        Assert.True(code == 0, error);
        Assert.Contains(": 30 training and 10 test images", output);
        foreach (var command in new[] { "train", "eval", "fetch", "exercise", "visualize" })
        {
            Assert.Contains("--data, --data-dir <DIR>", Gpucnn.Run(command, "--help").Output);
        }
    }

    [Theory]
    [InlineData("train", "1x28x28 and 3x32x32")]
    [InlineData("eval", "1x28x28 and 3x32x32")]
    [InlineData("predict", "1x28x28 and 3x32x32")]
    [InlineData("visualize", "1x28x28 and 3x32x32")]
    [InlineData("bench", null)]
    [InlineData("summary", null)]
    public void EveryCommandListsTheZoosModelsItTakesAndWhyItTakesFewer(string command, string? why)
    {
        var (_, help, _) = Gpucnn.Run(command, "--help");
        var text = Spaces().Replace(help, " ");
        var expected = ModelZoo.Names.Where(n => why switch
        {
            null => true,
            _ => ModelZoo.InputShape(n).Size is 784 or 3072,
        });

        Assert.Contains($"Model: {string.Join(", ", expected)}", text);
        if (why is not null)
        {
            Assert.Contains($"(those of {why} input", text);
        }
    }

    [Fact]
    public void VersionPrintsTheProjectsVersion()
    {
        var version = typeof(ModelZoo).Assembly.GetName().Version!;

        var (code, output, _) = Gpucnn.Run("--version");

        Assert.Equal(0, code);
        Assert.StartsWith($"{version.Major}.{version.Minor}.{version.Build}", output);
    }

    [Theory]
    [InlineData("lenet", "lenet5", 1)]
    [InlineData("trian", "train", 1)] // a swap of neighbours is one edit
    [InlineData("--batchsize", "--batch-size", 1)]
    [InlineData("seednet", "lenet5", 4)]
    public void EditDistanceCountsInsertionsDeletionsSubstitutionsAndSwaps(string a, string b, int distance) =>
        Assert.Equal(distance, Suggestions.Distance(a, b));

    [Fact]
    public void ClosestTakesTheNearestCandidatesOnlyWhenNearEnough()
    {
        Assert.Equal(["--lr"], Suggestions.Closest("--lt", ["--lr", "--seed", "--epochs"]));
        Assert.Empty(Suggestions.Closest("--xy", ["--lr"])); // every character replaced is no suggestion
        Assert.Equal(["lenet5"], Suggestions.Closest("LENET", ModelZoo.Names));
    }

    // The names in the "Commands:" section of the top-level help.
    private static List<string> Commands(string help) =>
        [.. help.Split('\n').SkipWhile(l => !l.StartsWith("Commands:", StringComparison.Ordinal)).Skip(1)
            .Select(l => CommandName().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"^  ([a-z][a-z-]*)\b")]
    private static partial Regex CommandName();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
