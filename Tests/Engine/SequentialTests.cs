using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine;

public sealed class SequentialTests
{
    [Fact]
    public void NamesLayersByIndexAsPyTorchDoes()
    {
        using var acc = new CpuAccelerator(1);
        var model = new Sequential(new Conv2d(6, 5, Padding: 2), new ReLU(), new MaxPool2d(2), new Flatten(),
            new Linear(10));

        using var net = model.Build(new Shape(1, 28, 28), acc, maxBatch: 2);

        Assert.Equal(["0.weight", "0.bias", "4.weight", "4.bias"], net.Parameters().Select(p => p.Name));
        Assert.Equal(new Shape(10), net.OutputShape);
        Assert.Equal(156 + 6 * 14 * 14 * 10 + 10, net.ParameterCount);
    }

    [Fact]
    public void SequentialLeNetMatchesTheFunctionalOneGivenTheSameWeights()
    {
        using var acc = new CpuAccelerator(1);
        var sequential = new Sequential(
            new Conv2d(6, 5, Padding: 2), new ReLU(), new MaxPool2d(2),
            new Conv2d(16, 5), new ReLU(), new MaxPool2d(2), new Flatten(),
            new Linear(120), new ReLU(), new Linear(84), new ReLU(), new Linear(10));
        using var a = sequential.Build(new Shape(1, 28, 28), acc, maxBatch: 3, seed: 4);
        using var b = ModelZoo.Build("lenet5", acc, maxBatch: 3, seed: 4);
        var input = Enumerable.Range(0, 3 * 784).Select(i => MathF.Sin(i * 0.37f)).ToArray();

        // Same seed and same parameter order give the same initial weights, hence the same outputs.
        Assert.Equal(b.Parameter("fc3.weight").ToArray(), a.Parameter("11.weight").ToArray());
        Assert.Equal(b.Predict(input, 3), a.Predict(input, 3));
    }

    [Fact]
    public void PaddingModesAndGlobalPoolingChainLikeTheFunctionalGraph()
    {
        using var acc = new CpuAccelerator(1);
        var sequential = new Sequential(
            new Conv2d(4, 3, Padding: 1, PaddingMode: PaddingMode.Reflect), new ReLU(),
            new Pad2d(1, 2, 0, 1, PaddingMode.Replicate),
            new Conv2dPadded(6, 3, 2, Padding2d.Same, PaddingMode.Circular),
            new Pad2d(1, PaddingMode.Constant, 0.25f), new GlobalAvgPool2d(), new Flatten(), new Linear(3));
        using var a = sequential.Build(new Shape(2, 9, 8), acc, maxBatch: 2, seed: 6);

        var g = new GraphBuilder();
        var x = g.Input(new Shape(2, 9, 8));
        var h = g.Relu(g.Conv2d(x, 4, 3, 1, Padding2d.Symmetric(1), paddingMode: PaddingMode.Reflect));
        h = g.Pad2d(h, 1, 2, 0, 1, PaddingMode.Replicate);
        h = g.Conv2d(h, 6, 3, 2, Padding2d.Same, paddingMode: PaddingMode.Circular);
        h = g.GlobalAvgPool2d(g.Pad2d(h, 1, 1, 1, 1, PaddingMode.Constant, 0.25f));
        using var b = g.Build(g.Linear(g.Flatten(h), 3), acc, maxBatch: 2, seed: 6);

        Assert.Equal(["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"],
            a.Parameters().Select(p => p.Name));
        // 9x8 -> conv 9x8 -> pad 10x11 -> stride-2 same 5x6 -> pad 7x8 -> global pool 1x1.
        Assert.Equal(new Shape(4, 10, 11), a.Node("2").OutputShape);
        Assert.Equal("ReplicationPad2d", a.Node("2").Kind);
        Assert.Equal(new Shape(6, 5, 6), a.Node("3").OutputShape);
        Assert.Equal(new Shape(6, 7, 8), a.Node("4").OutputShape);
        Assert.Equal(new Shape(6, 1, 1), a.Node("5").OutputShape);
        Assert.Equal("GlobalAvgPool2d", a.Node("5").Kind);
        Assert.Equal(PaddingMode.Reflect, ((Conv2dNode)a.Node("0")).PaddingMode);
        Assert.Equal(PaddingMode.Circular, ((Conv2dNode)a.Node("3")).PaddingMode);

        var input = Enumerable.Range(0, 2 * 144).Select(i => MathF.Cos(i * 0.29f)).ToArray();
        Assert.Equal(b.Predict(input, 2), a.Predict(input, 2));
    }

    [Fact]
    public void NormalizationLayersMatchTheFunctionalGraphAndKeepPyTorchNames()
    {
        using var acc = new CpuAccelerator(1);
        var sequential = new Sequential(new Conv2d(6, 3, Padding: 1), new BatchNorm2d(Momentum: 0.2f), new ReLU(),
            new LocalResponseNorm(3, Alpha: 0.5f, K: 2f), new BatchNorm2d(Affine: false));
        using var a = sequential.Build(new Shape(2, 5, 5), acc, maxBatch: 3, seed: 4);
        var g = new GraphBuilder();
        var x = g.Input(new Shape(2, 5, 5));
        var functional = g.BatchNorm2d(g.LocalResponseNorm(g.Relu(g.BatchNorm2d(g.Conv2d(x, 6, 3, padding: 1),
            momentum: 0.2f)), 3, 0.5f, 0.75f, 2f), affine: false);
        using var b = g.Build(functional, acc, maxBatch: 3, seed: 4);
        var input = Enumerable.Range(0, 3 * 50).Select(i => MathF.Sin(i * 0.37f)).ToArray();

        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], a.Parameters().Select(p => p.Name));
        Assert.Equal(["1.running_mean", "1.running_var", "4.running_mean", "4.running_var"],
            a.States().Select(s => s.Name));

        // Same layers, hyper-parameters and seed: the same outputs and the same running statistics after a step.
        a.Forward(input, 3);
        b.Forward(input, 3);
        Assert.Equal(b.OutputOf(b.Output).ToArray(), a.OutputOf(a.Output).ToArray());
        Assert.Equal(b.States().SelectMany(s => s.ToArray()), a.States().SelectMany(s => s.ToArray()));
    }
}
