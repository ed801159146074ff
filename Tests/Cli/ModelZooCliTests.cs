using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary>The zoo's classic architectures on the command line: <c>summary</c> describes them from shapes alone;
/// the commands that feed MNIST digits accept only the models of MNIST's shape.</summary>
public sealed class ModelZooCliTests
{
    [Fact]
    public void Vgg16PrintsItsLayersAndTotal()
    {
        var (code, output, _) = Gpucnn.Run("summary", "vgg16");

        Assert.Equal(0, code);
        Assert.Matches(@"features\.28\s+Conv2d\s+512 3x3/1 pad 1\s+\(512, 14, 14\)\s+2,359,808\s+462,422,016", output);
        Assert.Matches(@"classifier\.0\s+Linear\s+25088 -> 4096", output);
        Assert.Matches(@"total\s+138,357,544\s+15,470,264,320", output);
    }

    [Fact]
    public void DenseNetsLongNamesKeepTheColumnsAligned()
    {
        var (code, output, _) = Gpucnn.Run("summary", "densenet121");
        var lines = output.Split('\n');
        var header = lines[0];
        var row = lines.Single(l => l.StartsWith("features.denseblock3.denselayer24.conv2 ", StringComparison.Ordinal));

        Assert.Equal(0, code);
        Assert.Equal(header.IndexOf("layer", StringComparison.Ordinal),
            row.IndexOf("Conv2d", StringComparison.Ordinal));
        Assert.Matches(@"total\s+7,978,856", output);
    }

    [Fact]
    public void ClassesOptionResizesTheHead()
    {
        var (code, output, _) = Gpucnn.Run("summary", "resnet18", "--classes", "10");

        Assert.Equal(0, code);
        Assert.Matches(@"fc\s+Linear\s+512 -> 10\s", output);
        Assert.Matches(@"total\s+11,181,642\s", output); // 11,689,512 - 990 * 513
    }

    [Fact]
    public void MnistCommandsRejectImageNetModelsAndBenchTakesThem()
    {
        var (evalCode, _, evalError) = Gpucnn.Run("eval", "--model", "vgg16", "--checkpoint", "none.safetensors");
        var (helpCode, help, _) = Gpucnn.Run("bench", "--help");

        Assert.NotEqual(0, evalCode);
        Assert.Contains("vgg16", evalError);
        Assert.Contains("lenet5", evalError); // the error lists what is accepted
        Assert.Equal(0, helpCode);
        Assert.Contains("resnet18-cifar", help);
    }
}
