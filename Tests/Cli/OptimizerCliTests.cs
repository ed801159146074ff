using GpuCnn.Engine.Checkpoints;
using GpuCnn.Tests.Datasets;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary><c>train --optimizer adamw|rmsprop</c> and <c>--weight-decay</c> as a user runs them: the run says what
/// it uses, the checkpoint records it, and a resume keeps it.</summary>
public sealed class OptimizerCliTests : IDisposable
{
    private readonly IdxFixture fixture = new();

    public void Dispose() => fixture.Dispose();

    [Theory]
    [InlineData("-1", "-1")]
    [InlineData("NaN", "NaN")]
    [InlineData("Infinity", "Infinity")]
    public void AWeightDecayThatIsNegativeOrNotFiniteIsOneLineNamingTheOptionAndTheValue(string value, string shown)
    {
        var (code, output, error) = Gpucnn.Run("train", "--weight-decay", value);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"--weight-decay must be finite and at least 0, got {shown}.", line);
    }

    [Fact]
    public void AdamWTrainsWithItsDefaultDecayAndAResumeMustNameTheSameOptimizer()
    {
        Gpucnn.WriteTinyMnist(fixture, train: 64, test: 16);
        var checkpoint = Path.Combine(fixture.Directory, "adamw.safetensors");
        string[] common = ["train", "--data-dir", fixture.Directory, "--device", "cpu", "--batch-size", "32"];

        var (code, output, error) = Gpucnn.Run([.. common, "--optimizer", "adamw", "--checkpoint", checkpoint]);

        Assert.True(code == 0, error);
        Assert.Contains("AdamW lr 0.001, weight decay 0.01, batch 32", output);
        var saved = Checkpoint.ReadMetadata(checkpoint);
        Assert.Equal(("AdamW", "0.01"), (saved["optimizer"], saved["optimizer.weight_decay"]));

        var (otherCode, _, otherError) = Gpucnn.Run([.. common, "--optimizer", "rmsprop", "--epochs", "2",
            "--resume", checkpoint]);
        Assert.Equal(2, otherCode);
        Assert.Contains($"--resume: {checkpoint} holds AdamW optimizer state, not RMSprop; pass --optimizer adamw.",
            otherError);

        var (resumedCode, resumed, resumedError) = Gpucnn.Run([.. common, "--optimizer", "adamw", "--epochs", "2",
            "--resume", checkpoint]);
        Assert.True(resumedCode == 0, resumedError);
        Assert.Contains("AdamW lr 0.001, weight decay 0.01", resumed);
    }

    [Fact]
    public void RmsPropTakesMomentumAndWeightDecayAndAResumeKeepsBoth()
    {
        Gpucnn.WriteTinyMnist(fixture, train: 64, test: 16);
        var checkpoint = Path.Combine(fixture.Directory, "rmsprop.safetensors");
        string[] common = ["train", "--data-dir", fixture.Directory, "--device", "cpu", "--batch-size", "32",
            "--optimizer", "rmsprop"];

        var (code, output, error) = Gpucnn.Run([.. common, "--momentum", "0.5", "--weight-decay", "0.0001",
            "--checkpoint", checkpoint]);

        Assert.True(code == 0, error);
        Assert.Contains("RMSprop lr 0.01, weight decay 0.0001, batch 32", output);
        var saved = Checkpoint.ReadMetadata(checkpoint);
        Assert.Equal(("RMSprop", "0.5", "0.99"),
            (saved["optimizer"], saved["optimizer.momentum"], saved["optimizer.alpha"]));

        // Without --weight-decay and --momentum the resumed run takes the checkpoint's, as PyTorch's load_state_dict
        // does; without the momentum, its buffer would not be restored.
        var second = Path.Combine(fixture.Directory, "rmsprop-2.safetensors");
        var (resumedCode, resumed, resumedError) = Gpucnn.Run([.. common, "--epochs", "2", "--resume", checkpoint,
            "--checkpoint", second]);
        Assert.True(resumedCode == 0, resumedError);
        Assert.Contains("RMSprop lr 0.01, weight decay 0.0001", resumed);
        Assert.Equal("0.5", Checkpoint.ReadMetadata(second)["optimizer.momentum"]);
    }

    [Fact]
    public void TheHelpNamesEveryOptimizerAndTheWeightDecay()
    {
        var (code, output, _) = Gpucnn.Run("train", "--help");

        Assert.Equal(0, code);
        Assert.Contains("--weight-decay", output);
        foreach (var name in new[] { "adam", "adamw", "adadelta", "sgd", "rmsprop" })
        {
            Assert.Contains(name, output);
        }
    }
}
