using GpuCnn.Engine;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Models;
using GpuCnn.Tests.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace GpuCnn.Tests.Models;

/// <summary>
/// The full-width ResNet-18 for CIFAR (11,173,962 parameters, batch norm, residual adds, projection shortcuts)
/// learns a slice of synthetic 32x32 colour images: each of the 10 classes is a random smooth pattern, and every
/// image is its class's pattern under fresh noise. Its training loss must fall below a tenth of where it started,
/// on the CPU backend and on OpenCL.
/// </summary>
public sealed class ResNetTrainingTests(ITestOutputHelper output)
{
    private const int Images = 32;
    private const int Batch = 16;
    private const int MaxSteps = 40;

    public static TheoryData<string> Backends =>
        new(Accelerators.Names.Where(n => n is "cpu" or "opencl"));

    [Theory]
    [MemberData(nameof(Backends))]
    public void ResNet18CifarLossFallsBelowATenthOfItsStart(string accelerator)
    {
        var (images, labels) = Synthetic(Images, seed: 3);
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var x = g.Input(ResNet.CifarInputShape);
        var logits = ResNet.ResNet18Cifar(g, x);
        using var net = g.Build(logits, acc, maxBatch: Batch, seed: 1);
        using var adam = new Adam(net.Parameters());
        using var trainer = new Trainer(net, adam);
        var size = ResNet.CifarInputShape.Size;
        var losses = new List<double>();
        for (var step = 0; step < MaxSteps; step++)
        {
            var first = step % (Images / Batch) * Batch;
            losses.Add(trainer.Step(images.AsSpan(first * size, Batch * size), labels.AsSpan(first, Batch), Batch)
                .Loss);
            // Done once a whole pass over the slice (the last two batches) averages below a tenth of the start.
            if (losses.Count >= 3 && (losses[^1] + losses[^2]) / 2 < losses[0] / 10)
            {
                break;
            }
        }

        output.WriteLine($"{accelerator}: losses {string.Join(", ", losses.Select(l => l.ToString("F3")))}");
        Assert.InRange(losses[0], 1.5, 4.0); // about ln 10 = 2.30 for an untrained 10-class model
        Assert.True((losses[^1] + losses[^2]) / 2 < losses[0] / 10,
            $"loss did not fall below a tenth of {losses[0]:F3} in {MaxSteps} steps: " +
            string.Join(", ", losses.Select(l => l.ToString("F3"))));
    }

    // Ten class patterns, each a sum of a few random waves per channel; images are pattern plus noise.
    internal static (float[] Images, int[] Labels) Synthetic(int count, ulong seed)
    {
        const int side = 32;
        var random = new SeededRandom(seed);
        var patterns = new float[10][];
        for (var c = 0; c < 10; c++)
        {
            patterns[c] = new float[3 * side * side];
            for (var wave = 0; wave < 3; wave++)
            {
                float fy = random.NextUniform(0.1f, 0.6f), fx = random.NextUniform(0.1f, 0.6f);
                var phase = random.NextUniform(0f, 6.28f);
                for (var ch = 0; ch < 3; ch++)
                {
                    var amplitude = random.NextUniform(-0.6f, 0.6f);
                    for (var i = 0; i < side * side; i++)
                    {
                        patterns[c][ch * side * side + i] +=
                            amplitude * MathF.Sin(fy * (i / side) + fx * (i % side) + phase);
                    }
                }
            }
        }

        var images = new float[count * 3 * side * side];
        var labels = new int[count];
        for (var n = 0; n < count; n++)
        {
            labels[n] = n % 10;
            for (var i = 0; i < 3 * side * side; i++)
            {
                images[n * 3 * side * side + i] = patterns[labels[n]][i] + random.NextUniform(-0.3f, 0.3f);
            }
        }

        return (images, labels);
    }
}
