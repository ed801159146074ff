using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Onnx;
using GpuCnn.Tests.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace GpuCnn.Tests.Onnx;

/// <summary>
/// Models exported by PyTorch (Tests/golden/onnx/make_onnx.py: torchvision's ResNet-18, VGG-11, AlexNet, GoogLeNet
/// and DenseNet-121 made small, and a small CNN, at opsets 11 to 17) import, give PyTorch's outputs, keep the
/// state_dict names and train; our own exports import back to the same function.
/// </summary>
public sealed class OnnxImportTests(ITestOutputHelper output)
{
    public static TheoryData<string> Fixtures => new(Directory.GetFiles(Folder, "*.onnx")
        .Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal));

    internal static string Folder => Path.Combine(AppContext.BaseDirectory, "golden", "onnx");

    [Fact]
    public void FixturesArePresent() => Assert.Equal(7, Fixtures.Count);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ImportedModelGivesPyTorchsOutputs(string name)
    {
        var (x, y) = Io(name);
        using var acc = Accelerators.Create("cpu");
        using var net = OnnxImporter.Import(Path.Combine(Folder, $"{name}.onnx"), acc, maxBatch: x.Shape[0]);
        var ours = net.Predict(x.Data, x.Shape[0]);
        var error = OnnxRuntimeRunner.RelativeError(ours, y.Data);
        output.WriteLine($"{name}: max |ours - PyTorch| / max |PyTorch| = {error:E2}");
        Assert.True(error <= 1e-4, $"{name}: the imported model differs from PyTorch by {error:E2} of the scale.");
    }

    [Fact]
    public void ParametersKeepPyTorchsNames()
    {
        using var acc = Accelerators.Create("cpu");
        using var net = OnnxImporter.Import(Path.Combine(Folder, "resnet18.onnx"), acc, maxBatch: 1);
        var names = net.Parameters().Select(p => p.Name).Concat(net.States().Select(s => s.Name)).ToHashSet();
        Assert.Contains("conv1.weight", names);
        Assert.Contains("layer1.0.conv1.weight", names);
        Assert.Contains("layer4.1.bn2.running_var", names);
        Assert.Contains("fc.bias", names);
        Assert.Equal(new Shape(3, 64, 64), net.InputShape);
    }

    [Fact]
    public void AnImportedNetworkFineTunes()
    {
        using var acc = Accelerators.Create("cpu");
        using var net = OnnxImporter.Import(Path.Combine(Folder, "small-cnn.onnx"), acc, maxBatch: 8);
        var random = new Random(4);
        var x = Enumerable.Range(0, 8 * net.InputShape.Size).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        int[] labels = [0, 1, 2, 3, 4, 0, 1, 2];
        using var adam = new Adam(net.Parameters(), 3e-3f);
        using var trainer = new Trainer(net, adam);
        var losses = Enumerable.Range(0, 25).Select(_ => trainer.Step(x, labels, 8).Loss).ToList();
        output.WriteLine(string.Join(", ", losses.Select(l => l.ToString("F3"))));
        Assert.True(losses[^1] < losses[0] * 0.5, $"loss {losses[0]:F3} -> {losses[^1]:F3}");
    }

    [Theory]
    [InlineData("layers-conv", 17)]
    [InlineData("layers-pool", 13)]
    [InlineData("layers-head", 17)]
    [InlineData("layers-padding-circular", 19)]
    [InlineData("layers-conv", 20)]
    [InlineData("small-googlenet", 17)]
    [InlineData("small-densenet121", 17)]
    public void OurExportsImportBackToTheSameFunction(string name, int opset)
    {
        using var acc = Accelerators.Create("cpu");
        using var net = ExportCases.Build(name, acc, maxBatch: 2);
        var graph = OnnxImporter.Read(OnnxExporter.ToBytes(net, opset));
        using var back = graph.Build(acc, maxBatch: 2);
        var x = ExportCases.Input(net, 2);
        var error = OnnxRuntimeRunner.RelativeError(back.Predict(x, 2), net.Predict(x, 2));
        Assert.True(error <= 1e-5, $"{name} at opset {opset}: {error:E2}");
        Assert.Equal(net.Parameters().Select(p => p.Name), back.Parameters().Select(p => p.Name));
    }

    // The README's round trip: PyTorch -> ONNX -> gpu-cnn -> fine-tune -> ONNX -> ONNX Runtime.
    [Fact]
    public void PyTorchToGpuCnnToOnnxRuntimeRoundTrip()
    {
        var (x, y) = Io("small-cnn");
        using var acc = Accelerators.Create("cpu");
        using var net = OnnxImporter.Import(Path.Combine(Folder, "small-cnn.onnx"), acc, maxBatch: 2);
        var before = OnnxRuntimeRunner.RelativeError(
            OnnxRuntimeRunner.Run(OnnxExporter.ToBytes(net), x.Data, 2, net.InputShape.ToArray()), y.Data);
        Assert.True(before <= 1e-4, $"ONNX Runtime on the re-export differs from PyTorch by {before:E2}");
        using var sgd = new Sgd(net.Parameters(), 0.05f);
        using var trainer = new Trainer(net, sgd);
        trainer.Step(x.Data, [1, 3], 2);
        var tuned = net.Predict(x.Data, 2);
        Assert.True(OnnxRuntimeRunner.RelativeError(tuned, y.Data) > 1e-3, "the step changed nothing");
        var after = OnnxRuntimeRunner.RelativeError(
            OnnxRuntimeRunner.Run(OnnxExporter.ToBytes(net), x.Data, 2, net.InputShape.ToArray()), tuned);
        Assert.True(after <= 1e-4, $"ONNX Runtime on the fine-tuned export differs from ours by {after:E2}");
    }

    internal static (NamedTensor Input, NamedTensor Output) Io(string name)
    {
        var (tensors, _) = SafeTensors.Read(Path.Combine(Folder, $"{name}.io.safetensors"));
        return (tensors.Single(t => t.Name == "input"), tensors.Single(t => t.Name == "output"));
    }
}
