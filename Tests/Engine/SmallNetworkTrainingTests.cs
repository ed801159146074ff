using GpuCnn.Engine;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// A small network learns on every accelerator of the op suite, ILGPU's CPU accelerator included: convolution,
/// batch norm, ReLU, pooling, a linear head, the fused softmax cross-entropy and Adam, step after step on the device,
/// with a loss that falls and follows the CPU backend's step for step.
/// </summary>
public sealed class SmallNetworkTrainingTests
{
    private const int Batch = 8;
    private const int Classes = 4;
    private const int Side = 8;
    private const int Steps = 10;

    [Theory]
    [MemberData(nameof(Accelerators.OpSuite), MemberType = typeof(Accelerators))]
    public void LossFallsAndFollowsTheCpuBackend(string accelerator)
    {
        var (inputs, labels) = Quadrants();
        float[] expected;
        using (var cpu = new CpuAccelerator())
        {
            expected = Train(cpu, inputs, labels);
        }

        float[] actual;
        using (var acc = Accelerators.Create(accelerator))
        {
            actual = Train(acc, inputs, labels);
        }

        var trajectory = string.Join(", ", actual.Select(l => l.ToString("F4")));

        // An untrained 4-class model starts near ln(4) = 1.39; a network that learns the bright quadrant ends far
        // below half of that within ten steps.
        Assert.InRange(actual[0], 1.0, 1.8);
        Assert.True(actual[^1] < 0.5 * actual[0], $"loss per step on {accelerator}: {trajectory}");
        TensorAssert.Close(expected.ToDouble(), actual, 1e-4, 1e-3, $"loss per step on {accelerator}");
    }

    // conv(1->4, 3x3, same) -> batch norm -> ReLU -> max pool 2 -> flatten -> linear(64 -> 4) -> softmax.
    private static float[] Train(Accelerator acc, float[] inputs, int[] labels)
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(1, Side, Side));
        var h = g.Relu(g.BatchNorm2d(g.Conv2d(x, 4, 3, padding: 1, name: "conv1"), name: "bn1"));
        h = g.Flatten(g.MaxPool2d(h, 2, name: "pool1"));
        var output = g.Softmax(g.Linear(h, Classes, name: "fc1"));
        using var net = g.Build(output, acc, maxBatch: Batch, seed: 7);
        using var adam = new Adam(net.Parameters(), lr: 0.05f);
        using var trainer = new Trainer(net, adam);
        var losses = new float[Steps];
        for (var step = 0; step < Steps; step++)
        {
            losses[step] = trainer.Step(inputs, labels, Batch).Loss;
        }

        return losses;
    }

    // Noise everywhere, and one quadrant brighter: the label says which.
    private static (float[] Inputs, int[] Labels) Quadrants()
    {
        var random = new SeededRandom(11);
        var inputs = new float[Batch * Side * Side];
        var labels = new int[Batch];
        const int half = Side / 2;
        for (var n = 0; n < Batch; n++)
        {
            labels[n] = n % Classes;
            for (var y = 0; y < Side; y++)
            {
                for (var x = 0; x < Side; x++)
                {
                    var quadrant = (y / half * 2) + (x / half);
                    var signal = quadrant == labels[n] ? 1f : 0f;
                    inputs[(n * Side * Side) + (y * Side) + x] = signal + random.NextUniform(-0.5f, 0.5f);
                }
            }
        }

        return (inputs, labels);
    }
}
