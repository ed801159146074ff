using GpuCnn.Engine;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>ZeroGrad only marks the gradients; a dense layer's weight gradient is then overwritten (GEMM beta 0),
/// every other reader sees zeros. Stale values from earlier passes must never leak into either.</summary>
public sealed class LazyZeroGradTests
{
    private const int Batch = 4;
    private const int Classes = 3;

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void ZeroGradAfterAccumulatedPassesGivesOnePassOfGradient(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var x = g.Input(new Shape(5));
        var logits = g.Linear(g.Tanh(g.Linear(x, 6)), Classes);
        using var net = g.Build(logits, acc, maxBatch: Batch, seed: 3);
        using var loss = new SoftmaxCrossEntropyLoss(net);
        using var optimizer = new Sgd(net.Parameters(), 0f);
        net.Forward(RandomTensors.Uniform(Batch * 5, 1), Batch);
        loss.Compute(RandomTensors.Labels(Batch, Classes, 2), Batch);

        optimizer.ZeroGrad();
        loss.Backward();
        var once = net.Parameters().Select(p => p.GradToArray()).ToArray();
        loss.Backward();
        loss.Backward();
        optimizer.ZeroGrad();
        loss.Backward();

        for (var i = 0; i < once.Length; i++)
        {
            TensorAssert.Close(once[i].ToDouble(), net.Parameters()[i].GradToArray(), 0, 0,
                $"{net.Parameters()[i].Name} after three accumulated passes, ZeroGrad and one more");
        }

        // A zeroing no backward has consumed still reads as zeros.
        loss.Backward();
        net.ZeroGrad();
        Assert.All(net.Parameters(), p => Assert.All(p.GradToArray(), v => Assert.Equal(0f, v)));
    }
}
