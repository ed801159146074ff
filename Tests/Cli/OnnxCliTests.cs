using GpuCnn.Engine.Checkpoints;
using GpuCnn.Models;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Onnx;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary><c>gpucnn export</c> and <c>gpucnn import</c> as a user runs them.</summary>
public sealed class OnnxCliTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("gpucnn-onnx-cli").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void ExportWritesWhatOnnxRuntimeRunsAsWeDo()
    {
        using var acc = Accelerators.Create("cpu");
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 2, seed: 9);
        var checkpoint = Path.Combine(dir, "lenet5.safetensors");
        Checkpoint.Save(checkpoint, net);
        var onnx = Path.Combine(dir, "lenet5.onnx");
        var (code, output, error) = Gpucnn.Run("export", "--checkpoint", checkpoint, "--model", "lenet5", "--out", onnx,
            "--opset", "13");
        Assert.True(code == 0, error);
        Assert.Contains("opset 13", output);
        var x = ExportCases.Input(net, 2);
        var theirs = OnnxRuntimeRunner.Run(File.ReadAllBytes(onnx), x, 2, [1, 28, 28]);
        Assert.True(OnnxRuntimeRunner.RelativeError(theirs, net.Predict(x, 2)) <= 1e-4);
    }

    [Fact]
    public void ExportTakesTheModelFromTheCheckpointAndRefusesAnotherOne()
    {
        using var acc = Accelerators.Create("cpu");
        using var net = ModelZoo.Build("seednet", acc, maxBatch: 1, seed: 4);
        var checkpoint = Path.Combine(dir, "seednet.safetensors");
        Checkpoint.Save(checkpoint, net, metadata: new Dictionary<string, string> { ["model"] = "seednet" });
        var onnx = Path.Combine(dir, "seednet.onnx");

        var (code, output, error) = Gpucnn.Run("export", "--checkpoint", checkpoint, "--out", onnx);
        var (wrongCode, _, wrongError) = Gpucnn.Run("export", "--checkpoint", checkpoint, "--model", "lenet5",
            "--out", Path.Combine(dir, "wrong.onnx"));

        Assert.True(code == 0, error);
        Assert.Contains($"wrote {onnx}: seednet,", output);
        Assert.Equal(2, wrongCode);
        Assert.Equal($"--model lenet5: {checkpoint} holds a seednet, not a lenet5; leave --model out or pass " +
            "--model seednet.", wrongError.Trim());
        Assert.False(File.Exists(Path.Combine(dir, "wrong.onnx")));
    }

    [Fact]
    public void ImportSavesTheWeightsUnderTheGraphsNames()
    {
        var output = Path.Combine(dir, "resnet18.safetensors");
        var (code, text, error) = Gpucnn.Run("import", Path.Combine(OnnxImportTests.Folder, "resnet18.onnx"), "--out",
            output);
        Assert.True(code == 0, error);
        Assert.Contains("opset 13", text);
        var (tensors, _) = SafeTensors.Read(output);
        Assert.Contains(tensors, t => t.Name == "layer4.1.bn2.running_var" && t.Shape.SequenceEqual([64]));
        Assert.Contains(tensors, t => t.Name == "fc.weight" && t.Shape.SequenceEqual([7, 64]));
    }

    [Fact]
    public void ImportOfABadFileSaysWhatIsWrongInOneLine()
    {
        var bad = Path.Combine(dir, "bad.onnx");
        File.WriteAllBytes(bad, [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]);
        var (code, _, error) = Gpucnn.Run("import", bad, "--out", Path.Combine(dir, "x.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("malformed", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(dir, "x.safetensors")));
    }
}
