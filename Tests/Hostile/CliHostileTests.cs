using System.Globalization;
using System.Text.RegularExpressions;
using GpuCnn.Cli.Plotting;
using GpuCnn.Datasets;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Inference;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using GpuCnn.Tests.Cli;
using GpuCnn.Tests.Datasets;
using Xunit;

namespace GpuCnn.Tests.Hostile;

/// <summary>The command-line defects of the hostile-input report, run as a user runs the tool: each bad value is
/// one line on stderr naming the option or file, exit code 1, no stack trace, and nothing trained first.</summary>
public sealed class CliHostileTests : IDisposable
{
    private readonly IdxFixture fixture = new();

    public void Dispose() => fixture.Dispose();

    [Theory]
    [InlineData("--lr-gamma must be positive and below 1, got -1.", "train", "--lr-gamma", "-1")]
    [InlineData("--limit-train must be at least 1, got 0.", "train", "--limit-train", "0")]
    [InlineData("--classes must be between 2 and 100000 (CheckpointMetadata.MaxClasses), got 100000000.",
        "train", "--classes", "100000000")]
    [InlineData("--classes must be between 2 and 100000 (CheckpointMetadata.MaxClasses), got 2000000000.",
        "summary", "lenet5", "--classes", "2000000000")]
    [InlineData("--lr must be a number, got 'abc'.", "train", "--lr", "abc")]
    [InlineData("--lr must be positive and finite, got 0.", "train", "--lr", "0")]
    [InlineData("--seed must be a whole number from 0 to 18446744073709551615, got '-1'.", "train", "--seed", "-1")]
    [InlineData("--momentum must be at least 0 and below 1, got 1.", "train", "--momentum", "1")]
    [InlineData("--epochs must be at least 1, got 0.", "train", "--epochs", "0")]
    [InlineData("--batch-size must be at least 1, got -5.", "eval", "--checkpoint", "x", "--batch-size", "-5")]
    [InlineData("--clip-grad-norm must be positive and finite, got -2.", "train", "--clip-grad-norm", "-2")]
    [InlineData("--min-delta must be at least 0 and finite, got -0.5.", "train", "--min-delta", "-0.5")]
    [InlineData("--lr-patience must be at least 0, got -1.", "train", "--lr-patience", "-1")]
    [InlineData("--batch must be at least 1, got 0.", "summary", "lenet5", "--batch", "0")]
    [InlineData("--sample must be at least 0, got -1.", "visualize", "--checkpoint", "x", "--sample", "-1")]
    [InlineData("--repeats must be at least 1, got 0.", "bench-gemm", "--repeats", "0")]
    [InlineData("--min-time must be between 0 and 60 seconds, got -1.", "bench-gemm", "--min-time", "-1")]
    [InlineData("--min-time must be between 0 and 60 seconds, got NaN.", "bench-gemm", "--min-time", "NaN")]
    public void ANumericOptionOutOfRangeIsOneLineNamingTheOptionAndTheValue(string expected, params string[] args)
    {
        var (code, output, error) = Gpucnn.Run(args);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line);
        Assert.DoesNotContain("System.", line);
    }

    [Theory]
    [InlineData("--checkpoint", "/proc/ck.safetensors", "cannot write in /proc")]
    [InlineData("--checkpoint", "DIR", "is a directory")]
    [InlineData("--checkpoint", "UNDER-FILE", "is a regular file")]
    [InlineData("--checkpoint", "", "the path is empty")]
    [InlineData("--checkpoint-best", "DIR", "is a directory")]
    [InlineData("--metrics-json", "/proc/metrics.json", "cannot write in /proc")]
    [InlineData("--plot", "UNDER-FILE", "is a regular file")]
    [InlineData("--log-csv", "DIR", "is a directory")]
    [InlineData("--log-steps-csv", "", "the path is empty")]
    public void AnOutputPathThatCannotBeWrittenFailsBeforeTrainingNamingTheOption(
        string option, string path, string expected)
    {
        Gpucnn.WriteTinyMnist(fixture, train: 64, test: 16);
        var regular = fixture.Write("regular", [1]);
        path = path switch
        {
            "DIR" => fixture.Directory,
            "UNDER-FILE" => Path.Combine(regular, "sub", "out.file"),
            _ => path,
        };

        var (code, output, error) = Gpucnn.Run("train", "--data-dir", fixture.Directory, "--device", "cpu",
            option, path);

        Assert.Equal(1, code);
        Assert.Equal("", output); // not a single step, not even the run's description
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"gpucnn: {option}", line);
        Assert.Contains(expected, line);
        Assert.False(File.Exists(Path.Combine(fixture.Directory, "interrupted.safetensors")));
    }

    [Fact]
    public void ABatchThatCannotFitTheDeviceIsRefusedBeforeTraining()
    {
        Gpucnn.WriteTinyMnist(fixture, train: 64, test: 16);

        var (code, output, error) = Gpucnn.Run("train", "--data-dir", fixture.Directory, "--device", "cpu",
            "--batch-size", "10000000");

        Assert.Equal(1, code);
        Assert.DoesNotContain("Epoch", output);
        Assert.StartsWith("gpucnn: --batch-size 10000000: a training step of lenet5 needs about", error);
        Assert.Contains("use a smaller batch", error);
    }

    [Fact]
    public void ABenchBatchThatCannotFitTheDeviceIsOneLine()
    {
        var (code, _, error) = Gpucnn.Run("bench", "--batch-size", "10000000", "--device", "cpu", "--steps", "1");

        Assert.Equal(1, code);
        Assert.StartsWith("gpucnn: --batch-size 10000000: a training step of lenet5 needs about", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void PredictOnAPngDeclaring32768x32768IsOneLineNamingTheFileAndTheLimit()
    {
        var checkpoint = SaveLeNet();
        var png = fixture.Write("huge.png", PngBytes.File(PngBytes.Ihdr(32768, 32768, 1, 3),
            PngBytes.Chunk("PLTE", [0, 0, 0]), PngBytes.Chunk("IDAT", PngBytes.Zlib(new byte[64])),
            PngBytes.Chunk("IEND", [])));

        var (code, _, error) = Gpucnn.Run("predict", "--checkpoint", checkpoint, "--device", "cpu", png);

        Assert.Equal(1, code);
        Assert.StartsWith($"gpucnn: {png}: IHDR chunk at offset 8: the image is 32768x32768", error);
        Assert.Contains("(ImageLimits.MaxPixels)", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("predict")]
    public void ACheckpointWithoutAShapeIsOneLineNamingTheFileAndTheTensor(string command)
    {
        var path = fixture.Write("noshape.safetensors", SafeTensorsBytes.Build(
            """{"conv1.weight":{"dtype":"F32","data_offsets":[0,4]}}""", new byte[4]));
        string[] args = command == "eval"
            ? ["eval", "--checkpoint", path, "--data-dir", fixture.Directory]
            : ["predict", "--checkpoint", path, path];

        var (code, _, error) = Gpucnn.Run(args);

        Assert.Equal(1, code);
        Assert.Equal($"gpucnn: {path}: not a valid safetensors file: tensor 'conv1.weight': shape is missing; it " +
            "must be an array.", error.Trim());
    }

    [Theory]
    [InlineData("epoch", "-5", "metadata 'epoch' is \"-5\"; it must be a whole number from 0")]
    [InlineData("fit.history", "[{\"Epoch\":", "metadata 'fit.history' is not a list of epoch metrics")]
    [InlineData("fit.history", "[null]", "metadata 'fit.history' is not a list of epoch metrics")]
    public void ResumingFromBadMetadataIsOneLineNamingTheFileAndTheKey(string key, string value, string expected)
    {
        Gpucnn.WriteTinyMnist(fixture, train: 64, test: 16);
        var path = SaveLeNet(new Dictionary<string, string> { ["model"] = "lenet5", [key] = value });

        var (code, _, error) = Gpucnn.Run("train", "--resume", path, "--data-dir", fixture.Directory, "--device",
            "cpu", "--epochs", "2");

        Assert.Equal(1, code);
        Assert.StartsWith($"gpucnn: {path}: {expected}", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void VisualizePrintsTheSoftmaxProbabilityOfAModelEndingInLogits()
    {
        // A head biased so that the top raw score is far above 1: printed as a percentage it read "1,104.0 %".
        var bias = new float[10];
        bias[7] = 11.04f;
        bias[3] = 10f;
        var checkpoint = SaveLeNet(headBias: bias);
        var image = new Image(28, 28, 1);
        image.Pixels.AsSpan(200, 100).Fill(255);
        var png = fixture.Write("digit.png", Png.Encode(image));
        var outDir = Path.Combine(fixture.Directory, "maps");

        var (code, output, error) = Gpucnn.Run("visualize", "--checkpoint", checkpoint, "--image", png, "--out",
            outDir, "--device", "cpu");

        Assert.True(code == 0, error);
        var match = Regex.Match(output, @"predicted (\d+) \(([0-9.,]+) %\)");
        Assert.True(match.Success, output);
        using var acc = new CpuAccelerator(1);
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1);
        Checkpoint.Load(checkpoint, net);
        Assert.NotEqual("Softmax", net.Output.Kind);
        var scores = net.Predict(LayerTiles.ToDigitInput(image, 28, 28, Mnist.Mean, Mnist.Std), 1);
        Assert.True(scores.Max() > 1, "the case must be one where a raw score is no probability");
        var expected = Classifier.FromScores(scores, scoresAreProbabilities: false);
        Assert.Equal(expected.Class.ToString(CultureInfo.InvariantCulture), match.Groups[1].Value);
        Assert.Equal(expected.Confidence.ToString("P1", CultureInfo.InvariantCulture),
            match.Groups[2].Value + " %");
        Assert.InRange(expected.Confidence, 0.5f, 0.99f);
    }

    private string SaveLeNet(Dictionary<string, string>? metadata = null, float[]? headBias = null)
    {
        var path = Path.Combine(fixture.Directory, $"lenet5-{Guid.NewGuid():N}.safetensors");
        using var acc = new CpuAccelerator(1);
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1);
        if (headBias is not null)
        {
            net.Parameter("fc3.bias").Load(headBias);
        }

        Checkpoint.Save(path, net, metadata: metadata);
        return path;
    }
}
