using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine;

public sealed class AllocationTests
{
    [Theory]
    [InlineData("lenet5", "adam")]
    [InlineData("seednet", "sgd")]
    [InlineData("seednet", "adadelta")]
    public void WarmTrainingStepAllocatesNoManagedMemoryOnTheCallingThread(string model, string optimizerName)
    {
        using var acc = new CpuAccelerator();
        using var net = ModelZoo.Build(model, acc, maxBatch: 16, seed: 0);
        using Optimizer optimizer = optimizerName switch
        {
            "adam" => new Adam(net.Parameters()),
            "sgd" => new Sgd(net.Parameters(), 0.01f, momentum: 0.9f),
            _ => new Adadelta(net.Parameters()),
        };
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
