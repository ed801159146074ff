using GpuCnn.Engine;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Kernels.Cpu;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// Three steps of each optimizer on one parameter starting at 1.0 with gradients 0.5, -1.0 and 0.25; the
/// expected values were worked out in double precision from PyTorch's update formulas.
/// </summary>
public sealed class OptimizerTests : IDisposable
{
    private static readonly float[] Gradients = [0.5f, -1.0f, 0.25f];
    private readonly CpuAccelerator acc = new();

    public void Dispose() => acc.Dispose();

    [Fact]
    public void SgdWithMomentumAndWeightDecay() =>
        AssertSteps(p => new Sgd(p, lr: 0.1f, momentum: 0.9f, weightDecay: 0.01f), [0.949, 1.002151, 1.023984749]);

    [Fact]
    public void SgdWithNesterovMomentum() =>
        AssertSteps(p => new Sgd(p, lr: 0.1f, momentum: 0.9f, weightDecay: 0.01f, nesterov: true),
            [0.9031, 1.05007411, 1.04366845819]);

    [Fact]
    public void AdamWithPyTorchDefaults() =>
        AssertSteps(p => new Adam(p, lr: 0.01f), [0.9900000002, 0.993661035424, 0.995027942034]);

    [Fact]
    public void AdadeltaWithPyTorchDefaults() =>
        AssertSteps(p => new Adadelta(p), [0.996837785583, 1.000878338865, 0.999501698068]);

    [Fact]
    public void PlainSgdIsParameterMinusLearningRateTimesGradient() =>
        AssertSteps(p => new Sgd(p, lr: 0.5f), [0.75, 1.25, 1.125]);

    [Fact]
    public void FrozenParameterIsNotUpdated()
    {
        using var net = OneWeight(out var weight);
        weight.RequiresGrad = false;
        using var optimizer = new Adam(net.Parameters());
        acc.CopyFromHost([0.5f], weight.Grad);
        optimizer.Step();
        Assert.Equal(1f, weight.ToArray()[0]);
    }

    private void AssertSteps(Func<IEnumerable<Parameter>, Optimizer> create, double[] expected)
    {
        using var net = OneWeight(out var weight);
        using var optimizer = create(net.Parameters());
        for (var step = 0; step < Gradients.Length; step++)
        {
            acc.CopyFromHost([Gradients[step]], weight.Grad);
            optimizer.Step();
            var value = weight.ToArray()[0];
            Assert.True(Math.Abs(value - expected[step]) <= 2e-6,
                $"{optimizer.Name} step {step + 1}: expected {expected[step]}, got {value}");
        }
    }

    private Network OneWeight(out Parameter weight)
    {
        var g = new GraphBuilder();
        var y = g.Linear(g.Input(new Shape(1)), 1, bias: false);
        var net = g.Build(y, acc, maxBatch: 1);
        weight = net.Parameters()[0];
        weight.Load([1f]);
        return net;
    }
}
