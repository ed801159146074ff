using GpuCnn.Engine;
using GpuCnn.Kernels.Cpu;
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
