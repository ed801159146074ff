using GpuCnn.Engine.Checkpoints;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary>The <c>gpucnn</c> tool run as a user runs it: a separate process, its output and exit code.</summary>
public sealed class CliTests
{
    [Fact]
    public void SummaryOfLeNet5Reports61706Parameters()
    {
        var (code, output, _) = Run("summary", "lenet5");

        Assert.Equal(0, code);
        Assert.Contains("conv1      Conv2d     6 5x5/1 pad 2", output);
        Assert.Matches(@"total\s+61,706\s+416,520", output);
    }

    [Fact]
    public void SummaryOfTheExerciseNetworkShowsKerasSamePadding()
    {
        var (code, output, _) = Run("summary", "seednet");

        Assert.Equal(0, code);
        Assert.Contains("32 2x2/1 same", output);
        Assert.Matches(@"total\s+1,191,338", output);
    }

    [Fact]
    public void EvalWithAnotherModelsCheckpointFailsWithTheMismatchAndNoStackTrace()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gpucnn-cli-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var acc = new CpuAccelerator(1))
            using (var net = ModelZoo.Build("lenet5", acc, maxBatch: 1))
            {
                Checkpoint.Save(path, net);
            }

            var (code, _, error) = Run("eval", "--model", "seednet", "--checkpoint", path, "--data-dir",
                Path.GetTempPath());

            Assert.Equal(1, code);
            Assert.Contains("'conv1.weight' has shape (6, 1, 5, 5) in the file but (64, 1, 3, 3)", error);
            Assert.DoesNotContain("   at ", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UnknownModelIsRejectedByTheParser()
    {
        var (code, _, error) = Run("summary", "alexnet9000");

        Assert.NotEqual(0, code);
        Assert.Contains("alexnet9000", error);
    }

    private static (int Code, string Output, string Error) Run(params string[] args) => Gpucnn.Run(args);
}
