using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine;

public sealed class AllocationTests
{
    [Theory]
    [InlineData("lenet5", "adam")]
    [InlineData("seednet", "sgd")]
    [InlineData("seednet", "adadelta")]
    [InlineData("seednet", "adamw")]
    [InlineData("seednet", "rmsprop")]
    public void WarmTrainingStepAllocatesNoManagedMemoryOnTheCallingThread(string model, string optimizerName)
    {
        using var acc = new CpuAccelerator();
        using var net = ModelZoo.Build(model, acc, maxBatch: 16, seed: 0);
        using Optimizer optimizer = optimizerName switch
        {
            "adam" => new Adam(net.Parameters()),
            "sgd" => new Sgd(net.Parameters(), 0.01f, momentum: 0.9f),
            "adamw" => new AdamW(net.Parameters()),
            "rmsprop" => new RmsProp(net.Parameters(), weightDecay: 1e-4f, momentum: 0.9f, centered: true),
            _ => new Adadelta(net.Parameters()),
        };
        AssertWarmStepsAllocateNothing(net, optimizer);
    }

    [Fact]
    public void WarmTrainingStepWithPaddingModesAddAndConcatAllocatesNothing()
    {
        using var acc = new CpuAccelerator();
        var g = new GraphBuilder();
        var x = g.Input(new Shape(1, 28, 28));
        var h = g.Relu(g.Conv2d(x, 4, 3, 2, Padding2d.Same, paddingMode: PaddingMode.Reflect));
        var s = g.Add(h, g.Conv2d(g.Pad2d(h, 1, 1, 1, 1, PaddingMode.Circular), 4, 3));
        var c = g.Concat([s, h, g.Conv2d(h, 2, 1)]);
        var logits = g.Linear(g.Flatten(g.GlobalAvgPool2d(c)), 10);
        using var net = g.Build(logits, acc, maxBatch: 16, seed: 0);
        using var optimizer = new Sgd(net.Parameters(), 0.01f, momentum: 0.9f);
        AssertWarmStepsAllocateNothing(net, optimizer);
    }

    [Fact]
    public void WarmTrainingStepWithBatchNormAndLrnAllocatesNoManagedMemory()
    {
        // Batch norm keeps per-plane and per-channel scratch, LRN per-worker strips: both must be reused.
        using var acc = new CpuAccelerator();
        var model = new Sequential(new Conv2d(6, 5, Padding: 2), new BatchNorm2d(), new ReLU(),
            new LocalResponseNorm(5, 5e-4f, 0.75f, 2f), new MaxPool2d(2), new Flatten(), new Linear(10));
        using var net = model.Build(new Shape(1, 28, 28), acc, maxBatch: 16, seed: 0);
        using var optimizer = new Sgd(net.Parameters(), 0.01f, momentum: 0.9f);
        AssertWarmStepsAllocateNothing(net, optimizer);
    }

    internal static void AssertWarmStepsAllocateNothing(Network net, Optimizer optimizer)
    {
        using var trainer = new Trainer(net, optimizer);
        var (inputs, labels) = CheckpointTests.RandomBatch(16);
        for (var i = 0; i < 3; i++)
        {
            trainer.Step(inputs, labels, 16);
        }

        // A step that allocates allocates in every window; a one-off by the runtime (seen only when the machine is
        // oversubscribed) touches one window. So some window of five warm steps must allocate nothing at all.
        var windows = new long[4];
        for (var w = 0; w < windows.Length; w++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 5; i++)
            {
                trainer.Step(inputs, labels, 16);
                trainer.Evaluate(inputs, labels, 16);
            }

            windows[w] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.True(windows.Min() == 0, $"bytes allocated per window of five steps: {string.Join(", ", windows)}");
    }
}
