using System.Text.Json;
using GpuCnn.Tests.Datasets;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary><c>train --validation-split</c>, the "saved to" lines and the evaluation notice, as a user sees them.
/// </summary>
public sealed class ValidationSplitCliTests : IDisposable
{
    private readonly IdxFixture fixture = new();

    public void Dispose() => fixture.Dispose();

    [Fact]
    public void AHeldOutFractionIsReportedEachEpochAndWatchedByTheBestCheckpoint()
    {
        Gpucnn.WriteTinyMnist(fixture, train: 80, test: 20);
        var best = Path.Combine(fixture.Directory, "best.safetensors");
        var each = Path.Combine(fixture.Directory, "each.safetensors");
        var json = Path.Combine(fixture.Directory, "metrics.json");

        var (code, output, error) = Gpucnn.Run("train", "--data-dir", fixture.Directory, "--device", "cpu",
            "--epochs", "2", "--batch-size", "16", "--validation-split", "0.25", "--monitor", "val_loss",
            "--checkpoint", each, "--checkpoint-best", best, "--metrics-json", json);

        Assert.True(code == 0, error);
        Assert.Contains("60 training images, 20 held out for validation", output);
        Assert.Contains("evaluating on 20 validation and 20 test images...", output);
        Assert.Matches(@"epoch 1/2: train loss \d+\.\d{4} acc [\d.]+ % \| val loss \d+\.\d{4} acc [\d.]+ % \| " +
            @"test loss", output);
        Assert.Equal(2, output.Split('\n').Count(l => l == $"saved to {each}"));
        Assert.Contains($"saved to {best} (best val_loss so far)", output);
        using var metrics = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(0.25, metrics.RootElement.GetProperty("validation_split").GetDouble());
        var epochs = metrics.RootElement.GetProperty("epochs");
        Assert.Equal(2, epochs.GetArrayLength());
        Assert.InRange(epochs[1].GetProperty("val_accuracy").GetDouble(), 0, 1);
        Assert.True(epochs[1].GetProperty("val_loss").GetDouble() > 0);
    }

    [Theory]
    [InlineData(true, "val_loss")]
    [InlineData(false, "test_loss")]
    public void WithoutMonitorTheBestCheckpointWatchesTheValidationLossWhenThereIsASplit(bool split, string watched)
    {
        Gpucnn.WriteTinyMnist(fixture, train: 40, test: 20);
        var best = Path.Combine(fixture.Directory, $"best-{split}.safetensors");
        string[] args = ["train", "--data-dir", fixture.Directory, "--device", "cpu", "--epochs", "1",
            "--batch-size", "10", "--checkpoint-best", best];

        var (code, output, error) = Gpucnn.Run(split ? [.. args, "--validation-split", "0.25"] : args);

        Assert.True(code == 0, error);
        Assert.Contains($"saved to {best} (best {watched} so far)", output);
    }

    [Fact]
    public void MonitoringAValidationMetricWithoutASplitIsRefusedBeforeTraining()
    {
        Gpucnn.WriteTinyMnist(fixture, train: 32, test: 16);

        var (code, output, error) = Gpucnn.Run("train", "--data-dir", fixture.Directory, "--device", "cpu",
            "--monitor", "val_accuracy", "--early-stopping", "2");

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("--monitor val_accuracy is measured on images held out of training; add " +
            "--validation-split", error);
    }

    [Fact]
    public void ASplitThatLeavesAPartEmptyNamesTheOption()
    {
        Gpucnn.WriteTinyMnist(fixture, train: 3, test: 16);

        var (code, _, error) = Gpucnn.Run("train", "--data-dir", fixture.Directory, "--device", "cpu",
            "--validation-split", "0.1");

        Assert.Equal(2, code);
        Assert.StartsWith("--validation-split 0.1: A validation fraction of 0.1 of 3 images holds out 0", error);
    }
}
