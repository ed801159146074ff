using System.Globalization;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using GpuCnn.Tests.Datasets;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary>The commands that draw: <c>exercise</c>, <c>train --plot</c> and <c>visualize</c>, on tiny data.</summary>
public sealed class ExerciseAndPlotTests
{
    [Fact]
    public void ExerciseWritesCurvesCsvSummaryAndPictureForThreeOptimizers()
    {
        using var data = new IdxFixture();
        Gpucnn.WriteTinyMnist(data, train: 256, test: 40);
        var output = Path.Combine(data.Directory, "out");

        var (code, stdout, error) = Gpucnn.Run("exercise", "--epochs", "1", "--limit-train", "192", "--data-dir",
            data.Directory, "--device", "cpu", "--out", output);

        Assert.True(code == 0, error);
        Assert.Matches(@"Adadelta\s+1\s+\d+\.\d\d %", stdout);

        var curves = File.ReadAllLines(Path.Combine(output, "loss-curves.csv"));
        Assert.Equal("optimizer,kind,epoch,step,epoch_fraction,train_loss_smoothed,train_loss,train_accuracy," +
            "test_loss,test_accuracy", curves[0]);
        // 192 images in batches of 64: three steps and one epoch row for each optimizer.
        var rows = curves.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(3 * (3 + 1), rows.Count);
        Assert.Equal(["Adam", "Adadelta", "SGD"], rows.Select(r => r[0]).Distinct());
        var adamSteps = rows.Where(r => r[0] == "Adam" && r[1] == "step").ToList();
        Assert.Equal(["1", "2", "3"], adamSteps.Select(r => r[3]));
        Assert.Equal([1 / 3.0, 2 / 3.0, 1.0], adamSteps.Select(r => Parse(r[4])), new Tolerance(1e-5));
        // The first smoothed value is the first loss itself: the average's start at zero is corrected away.
        Assert.Equal(Parse(adamSteps[0][6]), Parse(adamSteps[0][5]), 5);
        Assert.NotEqual(Parse(adamSteps[2][6]), Parse(adamSteps[2][5]));
        var adamEpoch = rows.Single(r => r[0] == "Adam" && r[1] == "epoch");
        Assert.InRange(Parse(adamEpoch[9]), 0, 1);
        Assert.True(Parse(adamEpoch[8]) > 0);

        var summary = File.ReadAllLines(Path.Combine(output, "summary.csv"));
        Assert.Equal("optimizer,learning_rate,epochs,test_accuracy,test_loss,seconds", summary[0]);
        Assert.Equal(["Adam,0.001,1", "Adadelta,1,1", "SGD,0.01,1"],
            summary.Skip(1).Select(l => string.Join(',', l.Split(',')[..3])));
        Assert.Equal(adamEpoch[9], summary[1].Split(',')[3]);

        var picture = Png.Load(Path.Combine(output, "loss-curves.png"));
        Assert.Equal((1100, 1000), (picture.Width, picture.Height));
    }

    [Fact]
    public void TrainWithPlotWritesThePicture()
    {
        using var data = new IdxFixture();
        Gpucnn.WriteTinyMnist(data, train: 128, test: 20);
        var path = Path.Combine(data.Directory, "plots", "lenet.png");

        var (code, _, error) = Gpucnn.Run("train", "--model", "lenet5", "--epochs", "2", "--data-dir",
            data.Directory, "--device", "cpu", "--plot", path);

        Assert.True(code == 0, error);
        var picture = Png.Load(path);
        Assert.Equal((1100, 1000, 3), (picture.Width, picture.Height, picture.Channels));
    }

    [Fact]
    public void VisualizeDrawsSixLeNetFiltersAndTheFeatureMapsOfEachConvolution()
    {
        using var data = new IdxFixture();
        Gpucnn.WriteTinyMnist(data, train: 10, test: 10);
        var checkpoint = Path.Combine(data.Directory, "lenet.safetensors");
        using (var acc = new CpuAccelerator(1))
        using (var net = ModelZoo.Build("lenet5", acc, maxBatch: 1))
        {
            Checkpoint.Save(checkpoint, net);
        }

        var output = Path.Combine(data.Directory, "vis");
        var (code, stdout, error) = Gpucnn.Run("visualize", "--model", "lenet5", "--checkpoint", checkpoint,
            "--sample", "3", "--data-dir", data.Directory, "--device", "cpu", "--out", output);

        Assert.True(code == 0, error);
        Assert.Contains("test image 3 (label 3)", stdout);
        // Six 5x5 filters at x8 in 3 columns and 2 rows, with 6-pixel gaps: 3 * (40 + 6) + 6 by 2 * 46 + 6.
        var filters = Png.Load(Path.Combine(output, "filters-conv1.png"));
        Assert.Equal((144, 98), (filters.Width, filters.Height));
        // conv1: six 28x28 maps at x4 (3 x 2 tiles); conv2: sixteen 10x10 maps at x11 (4 x 4), 4-pixel gaps.
        var conv1 = Png.Load(Path.Combine(output, "features-conv1.png"));
        Assert.Equal((3 * 116 + 4, 2 * 116 + 4), (conv1.Width, conv1.Height));
        var conv2 = Png.Load(Path.Combine(output, "features-conv2.png"));
        Assert.Equal((4 * 114 + 4, 4 * 114 + 4), (conv2.Width, conv2.Height));
    }

    [Fact]
    public void VisualizeTakesAPngAndRejectsALayerWithoutFeatureMaps()
    {
        using var data = new IdxFixture();
        var checkpoint = Path.Combine(data.Directory, "seednet.safetensors");
        using (var acc = new CpuAccelerator(1))
        using (var net = ModelZoo.Build("seednet", acc, maxBatch: 1))
        {
            Checkpoint.Save(checkpoint, net);
        }

        var digit = new Image(40, 40, 3);
        Array.Fill(digit.Pixels, (byte)255);
        var png = Path.Combine(data.Directory, "digit.png");
        Png.Save(digit, png);

        var output = Path.Combine(data.Directory, "vis");
        var (code, stdout, error) = Gpucnn.Run("visualize", "--model", "seednet", "--checkpoint", checkpoint,
            "--image", png, "--layers", "conv2,pool1", "--device", "cpu", "--out", output);

        Assert.True(code == 0, error);
        Assert.Contains("features-conv2.png: 32 tiles of 13x13", stdout);
        Assert.Contains("features-pool1.png: 32 tiles of 12x12", stdout);
        Assert.False(File.Exists(Path.Combine(output, "features-conv1.png")));
        var filters = Png.Load(Path.Combine(output, "filters-conv1.png"));
        // 64 filters of 3x3 at x13 in 8 columns and rows: 8 * (39 + 6) + 6.
        Assert.Equal((366, 366), (filters.Width, filters.Height));

        var (failed, _, message) = Gpucnn.Run("visualize", "--model", "seednet", "--checkpoint", checkpoint,
            "--image", png, "--layers", "fc1", "--device", "cpu", "--out", output);
        Assert.Equal(2, failed);
        Assert.Contains("'fc1' outputs (256), not (C, H, W) feature maps", message);
        Assert.Contains("layers with feature maps: conv1, relu1, conv2, relu2, pool1", message);
    }

    private static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon;

        public int GetHashCode(double obj) => 0;
    }
}
