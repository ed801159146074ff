using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Models;
using GpuCnn.Tests.Kernels;
using Xunit;

namespace GpuCnn.Tests.Conformance;

/// <summary>
/// Small versions of every classic architecture, written in PyTorch with torchvision's module names
/// (Tests/golden/models.py): the factory here at the same width, loaded by name with PyTorch's weights and
/// batch-norm statistics, must give PyTorch's outputs, input gradient, every parameter's gradient and the running
/// statistics after the step. The classifiers' dropout is set to 0 on both sides so that the step is deterministic.
/// </summary>
public sealed class ModelConformanceTests
{
    public static TheoryData<string, string> Data => Accelerators.Cross(GoldenCase.Names("models"));

    [Fact]
    public void FixturesArePresent() => Assert.True(GoldenCase.Names("models").Count() >= 10,
        $"expected the model fixtures in {GoldenCase.Folder("models")}");

    [Theory]
    [MemberData(nameof(Data))]
    public void ModelMatchesPyTorch(string accelerator, string name)
    {
        var golden = GoldenCase.Load("models", name);
        var x = golden["input"];
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var input = g.Input(new Shape(x.Shape[1..]), requiresGrad: true);
        var output = Build(g, input, golden);
        using var net = g.Build(output, acc, maxBatch: x.Shape[0]);
        golden.Check(net, output, 1e-6, 1e-3, normwise: true);
    }

    // A whole state_dict exported from PyTorch (model.state_dict() saved as safetensors, int64 num_batches_tracked
    // included) loads by name through the checkpoint loader and gives PyTorch's output.
    [Fact]
    public void PyTorchStateDictLoadsByNameAndGivesTheSameOutput()
    {
        var golden = GoldenCase.Load("models", "resnet18-cifar");
        var path = Path.Combine(GoldenCase.Folder("models"), "resnet18-cifar.state_dict.safetensors.bin");
        using var acc = Accelerators.Create("cpu");
        var g = new GraphBuilder();
        var x = golden["input"];
        var input = g.Input(new Shape(x.Shape[1..]));
        var output = Build(g, input, golden);
        using var net = g.Build(output, acc, maxBatch: x.Shape[0]);
        var report = Checkpoint.LoadMatching(path, net);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Skipped);
        Assert.Equal(net.Parameters().Count + net.States().Count, report.Loaded.Count);
        Assert.NotEmpty(report.Unexpected);
        Assert.All(report.Unexpected, name => Assert.EndsWith(".num_batches_tracked", name));
        net.Train();
        net.Forward(x.Data, x.Shape[0]);
        var y = new float[golden["output"].Data.Length];
        acc.CopyToHost(net.OutputOf(output), y);
        Reference.TensorAssert.Close(Reference.TensorAssert.ToDouble(golden["output"].Data), y, 1e-4, 2e-3,
            "resnet18-cifar output after loading the state_dict");
    }

    private static Node Build(GraphBuilder g, Node x, GoldenCase golden)
    {
        var classes = golden.Get("classes", 0);
        var width = (float)golden.Get("width", 1.0);
        return golden.Get("model", "") switch
        {
            "alexnet" => AlexNet.Define(g, x, classes, width, dropout: 0f),
            "alexnet-paper" => AlexNet.DefinePaper(g, x, classes, width, dropout: 0f),
            "zfnet" => ZFNet.Define(g, x, classes, width, dropout: 0f),
            "vgg-a-lrn" or "vgg-c" => Vgg.Define(g, x, Enum.Parse<VggConfig>(golden.Get("config", "")), classes,
                width: width, dropout: 0f),
            "vgg16-cifar" => Vgg.DefineCifar(g, x, VggConfig.D, classes, width),
            "resnet18-cifar" => ResNet.ResNet18Cifar(g, x, classes, golden.Get("base", 0)),
            "resnet50" => ResNet.ResNet50(g, x, classes, golden.Get("base", 0)),
            "googlenet" => GoogLeNet.Define(g, x, classes, width, dropout: 0f),
            "densenet121" => DenseNet.DenseNet121(g, x, classes, golden.Get("growth", 0), golden.Get("init", 0)),
            var other => throw new InvalidOperationException($"{golden.Path}: unknown model '{other}'."),
        };
    }
}
