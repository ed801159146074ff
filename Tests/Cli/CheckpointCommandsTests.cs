using System.Globalization;
using System.Text.RegularExpressions;
using GpuCnn.Datasets;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using GpuCnn.Tests.Datasets;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary><c>predict</c>, <c>eval</c> and <c>visualize</c> take the model from the checkpoint; <c>predict</c>
/// prepares pictures as <c>visualize</c> does; <c>eval</c> reports top-k, per-class accuracy and the confusion
/// matrix.</summary>
public sealed class CheckpointCommandsTests : IDisposable
{
    private readonly IdxFixture fixture = new();

    public void Dispose() => fixture.Dispose();

    private string Save(string model, Dictionary<string, string>? metadata, int classes = 10)
    {
        var path = Path.Combine(fixture.Directory, $"{model}-{Guid.NewGuid():N}.safetensors");
        using var acc = new CpuAccelerator(1);
        using var net = ModelZoo.Build(model, acc, maxBatch: 1, classes: classes);
        Checkpoint.Save(path, net, metadata: metadata);
        return path;
    }

    private string Digit()
    {
        var image = new GpuCnn.Datasets.Imaging.Image(28, 28, 1);
        image.Pixels.AsSpan(300, 150).Fill(255);
        var path = Path.Combine(fixture.Directory, "digit.png");
        Png.Save(image, path);
        return path;
    }

    [Theory]
    [InlineData("predict")]
    [InlineData("eval")]
    [InlineData("visualize")]
    public void AModelOtherThanTheCheckpointsIsOneLineNamingBoth(string command)
    {
        var checkpoint = Save("lenet5", new() { ["model"] = "lenet5" });
        string[] args = command == "predict" ? [command, "--model", "seednet", "--checkpoint", checkpoint, Digit()]
            : [command, "--model", "seednet", "--checkpoint", checkpoint, "--data-dir", fixture.Directory];

        var (code, _, error) = Gpucnn.Run(args);

        Assert.Equal(2, code);
        Assert.Equal($"--model seednet: {checkpoint} holds a lenet5, not a seednet; leave --model out or pass " +
            "--model lenet5.", error.Trim());
    }

    [Fact]
    public void EvalOfACifarModelOnASeednetCheckpointBlamesTheModelNotTheDataset()
    {
        var checkpoint = Save("seednet", new() { ["model"] = "seednet", ["dataset"] = "mnist" });

        var (code, _, error) = Gpucnn.Run("eval", "--model", "vgg11-cifar", "--checkpoint", checkpoint);

        Assert.Equal(2, code);
        Assert.Contains("holds a seednet, not a vgg11-cifar", error);
        Assert.DoesNotContain("--dataset", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void PredictAndVisualizeTakeTheModelAndDigitsFromTheCheckpoint()
    {
        // A seednet with a 2-output head trained on the digits 3 and 7: without --model, and answering in digits.
        var checkpoint = Save("seednet", new() { ["model"] = "seednet", ["classes"] = "2", ["digits"] = "3,7" },
            classes: 2);
        var digit = Digit();

        var (code, output, error) = Gpucnn.Run("predict", "--checkpoint", checkpoint, "--device", "cpu", digit);
        var (drawn, drawing, drawError) = Gpucnn.Run("visualize", "--checkpoint", checkpoint, "--image", digit,
            "--device", "cpu", "--out", Path.Combine(fixture.Directory, "maps"));

        Assert.True(code == 0, error);
        Assert.Contains($"{digit}: 28x28 grey -> 28x28 grey", output);
        Assert.Matches(new Regex($@"{Regex.Escape(digit)}: [37] \([0-9.]+ %\) \[[0-9.]+ [0-9.]+\]"), output);
        Assert.True(drawn == 0, drawError);
        Assert.Matches(@"predicted [37] \(", drawing);
        Assert.Contains("features-conv1.png", drawing);
    }

    [Fact]
    public void PredictReportsEachUnreadableFileAndGoesOn()
    {
        var checkpoint = Save("lenet5", new() { ["model"] = "lenet5" });
        var digit = Digit();
        var text = Path.Combine(fixture.Directory, "notes.jpg");
        File.WriteAllText(text, "not a picture");

        var (code, output, error) = Gpucnn.Run("predict", "--checkpoint", checkpoint, "--device", "cpu", text, digit);

        Assert.Equal(1, code);
        Assert.Equal($"gpucnn: {text}: not an image this reader decodes (PNG, JPEG, BMP, GIF, WebP, TIFF); the " +
            "file starts with 6E6F742061207069.", error.Trim());
        Assert.Contains($"{digit}: 28x28 grey -> 28x28 grey", output);
    }

    [RealMnistFact]
    public void ADarkDigitOnWhiteIsClassifiedAsItsLightOnBlackOriginal()
    {
        var checkpoint = Path.Combine(fixture.Directory, "lenet5.safetensors");
        var (trained, _, trainError) = Gpucnn.Run("train", "--model", "lenet5", "--epochs", "1", "--limit-train",
            "6000", "--batch-size", "32", "--data-dir", RealMnist.DataDir!, "--device", "cpu", "--checkpoint",
            checkpoint);
        Assert.True(trained == 0, trainError);

        // Ten real test digits, each as it is (28x28, white on black) and as a photo of it would come: 112x112,
        // black on white, colour JPEG.
        var (_, test) = Mnist.Load(RealMnist.DataDir!);
        var files = new List<(string Original, string Photo)>();
        for (var i = 0; i < 10; i++)
        {
            var original = Path.Combine(fixture.Directory, $"digit{i}.png");
            Png.Save(new GpuCnn.Datasets.Imaging.Image(28, 28, 1, test.Image(i).ToArray()), original);
            var photo = Path.Combine(fixture.Directory, $"digit{i}.jpg");
            using var picture = new Image<Rgb24>(112, 112);
            for (var y = 0; y < 112; y++)
            {
                for (var x = 0; x < 112; x++)
                {
                    var ink = (byte)(255 - test.Image(i)[y / 4 * 28 + x / 4]);
                    picture[x, y] = new Rgb24(ink, ink, ink);
                }
            }

            picture.SaveAsJpeg(photo, new JpegEncoder { Quality = 90 });
            files.Add((original, photo));
        }

        var (code, output, error) = Gpucnn.Run(["predict", "--checkpoint", checkpoint, "--device", "cpu",
            .. files.SelectMany(f => new[] { f.Original, f.Photo })]);

        Assert.True(code == 0, error);
        string Class(string file) => Regex.Match(output, $@"^{Regex.Escape(file)}: (\d) \(", RegexOptions.Multiline)
            .Groups[1].Value;
        var originals = files.Select(f => Class(f.Original)).ToArray();
        Assert.Equal(originals, files.Select(f => Class(f.Photo)));
        // The model must be one that reads the originals: most of them right (an untrained one would be at chance).
        Assert.True(originals.Where((c, i) => c == test.Labels[i].ToString(CultureInfo.InvariantCulture)).Count() >= 8,
            output);
        Assert.Contains($"{files[0].Photo}: 112x112 grey -> 28x28 grey, inverted (light background)", output);
        Assert.DoesNotContain($"{files[0].Original}: 28x28 grey -> 28x28 grey, inverted", output);
    }

    [Fact]
    public void EvalReportsTopKPerClassAccuracyAndTheConfusionMatrixAndDrawsIt()
    {
        Gpucnn.WriteTinyMnist(fixture, train: 16, test: 40);
        var checkpoint = Save("lenet5", new() { ["model"] = "lenet5", ["dataset"] = "mnist" });
        var plot = Path.Combine(fixture.Directory, "plots", "confusion.png");

        var (code, output, error) = Gpucnn.Run("eval", "--checkpoint", checkpoint, "--data-dir", fixture.Directory,
            "--device", "cpu", "--plot", plot);

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Matches(@"^test loss [0-9.]+ accuracy [0-9.]+ % \(40 images\)$", lines[0]);
        var accuracy = Regex.Match(lines[0], @"accuracy ([0-9.]+) %").Groups[1].Value;
        Assert.Matches($@"^top-1 {Regex.Escape(accuracy)} %, top-5 [0-9.]+ %$", lines[1]);
        Assert.Equal("per-class accuracy:", lines[2]);
        Assert.Equal("confusion matrix (rows: true class, columns: predicted class):", lines[13]);
        // Every true class's row holds its images: the tiny set has 4 of each digit.
        for (var digit = 0; digit < 10; digit++)
        {
            Assert.Matches($@"^{digit} +[0-9.]+ % of 4$", lines[3 + digit]);
            var row = lines[15 + digit].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            Assert.Equal(digit, row[0]);
            Assert.Equal(4, row[1..].Sum());
        }

        var picture = Png.Load(plot);
        Assert.Equal(3, picture.Channels);
        // Ten cells of 48 pixels each way, and the labels around them.
        Assert.True(picture.Width > 480 && picture.Height > 480, $"{picture.Width}x{picture.Height}");
        Assert.Contains($"{plot}: the confusion matrix", output);
    }

    [Fact]
    public void ACorruptJpegInVisualizeOrAnImageFolderIsOneLineNamingTheFile()
    {
        var checkpoint = Save("lenet5", new() { ["model"] = "lenet5", ["dataset"] = "folder",
            ["class_names"] = "a/b", ["classes"] = "2" }, classes: 2);
        using var picture = Hostile.EncodedImages.Picture(60, 60);
        var jpeg = Hostile.EncodedImages.Jpeg(picture);
        var root = Path.Combine(fixture.Directory, "pictures");
        foreach (var (folder, bytes) in new[] { ("a", jpeg), ("b", jpeg[..(jpeg.Length / 3)]) })
        {
            Directory.CreateDirectory(Path.Combine(root, "test", folder));
            File.WriteAllBytes(Path.Combine(root, "test", folder, "1.jpg"), bytes);
        }

        var cut = Path.Combine(root, "test", "b", "1.jpg");
        var (drawn, _, drawError) = Gpucnn.Run("visualize", "--checkpoint", checkpoint, "--image", cut, "--device",
            "cpu", "--out", Path.Combine(fixture.Directory, "maps"));
        var (evaluated, _, evalError) = Gpucnn.Run("eval", "--checkpoint", checkpoint, "--data", root, "--device",
            "cpu");

        foreach (var (code, error) in new[] { (drawn, drawError), (evaluated, evalError) })
        {
            Assert.Equal(1, code);
            var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries),
                l => l.StartsWith("gpucnn: ", StringComparison.Ordinal));
            Assert.True(line.StartsWith($"gpucnn: {cut}: ", StringComparison.Ordinal), line);
            Assert.DoesNotContain("Exception", line);
            Assert.DoesNotContain("   at ", error);
        }
    }
}
