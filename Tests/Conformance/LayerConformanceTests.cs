using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Kernels;
using Xunit;

namespace GpuCnn.Tests.Conformance;

/// <summary>
/// Every layer fixture PyTorch wrote (Tests/golden/layers): the same layer built here, loaded with PyTorch's
/// parameters, must give PyTorch's output, input gradient, parameter gradients and running statistics on every
/// accelerator.
/// </summary>
public sealed class LayerConformanceTests
{
    public static TheoryData<string, string> Data => Accelerators.Cross(GoldenCase.Names("layers"));

    [Fact]
    public void FixturesArePresent() => Assert.True(GoldenCase.Names("layers").Count() >= 30,
        $"expected the layer fixtures in {GoldenCase.Folder("layers")}");

    [Theory]
    [MemberData(nameof(Data))]
    public void LayerMatchesPyTorch(string accelerator, string name)
    {
        var golden = GoldenCase.Load("layers", name);
        var x = golden["input"];
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var input = g.Input(new Shape(x.Shape[1..]), requiresGrad: true);
        var output = Build(g, input, golden);
        using var net = g.Build(output, acc, maxBatch: x.Shape[0]);
        golden.Check(net, output, 2e-5, 2e-4);
    }

    private static Node Build(GraphBuilder g, Node x, GoldenCase golden)
    {
        var c = golden.Case;
        var op = c["op"]!.GetValue<string>();
        int Int(string key, int fallback = 0) => golden.Get(key, fallback);
        float Float(string key, float fallback) => (float)golden.Get(key, (double)fallback);
        return op switch
        {
            "conv2d" => g.Conv2d(x, Int("out"), Int("kernel"), Int("stride", 1),
                c["padding"] is { } p && p.GetValueKind() == System.Text.Json.JsonValueKind.String
                    ? Padding2d.Parse(p.GetValue<string>())
                    : Padding2d.Symmetric(Int("padding")),
                Int("dilation", 1), Int("groups", 1), golden.Get("bias", true), "layer",
                Mode(golden.Get("padding_mode", "zeros"))),
            "maxpool" => g.MaxPool2d(x, Int("kernel"), Int("stride"), Int("padding"), "layer",
                golden.Get("ceil", false)),
            "avgpool" => g.AvgPool2d(x, Int("kernel"), Int("stride"), Int("padding"), "layer",
                golden.Get("ceil", false)),
            "gap" => g.GlobalAvgPool2d(x, "layer"),
            "batchnorm" => g.BatchNorm2d(x, Float("eps", 1e-5f), Float("momentum", 0.1f), golden.Get("affine", true),
                "layer"),
            "lrn" => g.LocalResponseNorm(x, Int("size"), Float("alpha", 1e-4f), Float("beta", 0.75f), Float("k", 1f),
                "layer"),
            "pad" => g.Pad2d(x, Int("top"), Int("left"), Int("bottom"), Int("right"),
                Mode(golden.Get("mode", "zeros")), Float("value", 0f), "layer"),
            "linear" => g.Linear(x, Int("out"), name: "layer"),
            "relu" => g.Relu(x, "layer"),
            "tanh" => g.Tanh(x, "layer"),
            "sigmoid" => g.Sigmoid(x, "layer"),
            "softmax" => g.Softmax(x, "layer"),
            _ => throw new InvalidOperationException($"{golden.Path}: unknown op '{op}'."),
        };
    }

    private static PaddingMode Mode(string name) => name switch
    {
        "zeros" => PaddingMode.Zeros,
        "constant" => PaddingMode.Constant,
        "reflect" => PaddingMode.Reflect,
        "replicate" => PaddingMode.Replicate,
        "circular" => PaddingMode.Circular,
        _ => throw new ArgumentException($"Unknown padding mode '{name}'."),
    };
}
