using GpuCnn.Datasets;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Engine.Training;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.OpenCL;
using GpuCnn.Kernels.Ops;
using GpuCnn.Models;
using GpuCnn.Tests.Datasets;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>Whole training steps on the OpenCL backend against the CPU backend, and learning on real MNIST.</summary>
public sealed class OpenCLTrainingTests
{
    // A LeNet-5 batch whose conv1 output alone is past any 2 GiB allocation limit.
    private const int TooLargeBatch = 120_000;

    [OpenCLFact]
    public void LeNet5TrainingStepMatchesTheCpuBackend()
    {
        // Forward, loss, backward and an Adam update: the loss, every gradient and every updated weight agree.
        var (inputs, labels) = CheckpointTests.RandomBatch(16);
        using var cpu = new CpuAccelerator();
        using var cl = new OpenCLAccelerator();
        using var cpuNet = ModelZoo.Build("lenet5", cpu, maxBatch: 16, seed: 4);
        using var clNet = ModelZoo.Build("lenet5", cl, maxBatch: 16, seed: 4);
        using var cpuAdam = new Adam(cpuNet.Parameters());
        using var clAdam = new Adam(clNet.Parameters());
        using var cpuTrainer = new Trainer(cpuNet, cpuAdam);
        using var clTrainer = new Trainer(clNet, clAdam);

        var expected = cpuTrainer.Step(inputs, labels, 16);
        var actual = clTrainer.Step(inputs, labels, 16);

        Assert.Equal(expected.Correct, actual.Correct);
        TensorAssert.Close([expected.Loss], [actual.Loss], 1e-5, 1e-5, "loss");
        foreach (var (p, q) in cpuNet.Parameters().Zip(clNet.Parameters()))
        {
            Assert.Equal(p.Name, q.Name);
            TensorAssert.Close(p.GradToArray().ToDouble(), q.GradToArray(), 1e-5, 1e-3, $"{p.Name} gradient");
            TensorAssert.Close(p.ToArray().ToDouble(), q.ToArray(), 1e-5, 1e-4, $"{p.Name} after Adam");
        }
    }

    public static TheoryData<string> Optimizers => new(["sgd", "sgd-nesterov", "adam", "adadelta"]);

    [OpenCLTheory]
    [MemberData(nameof(Optimizers))]
    public void OptimizerUpdatesEqualTheCpusAfterSeveralSteps(string optimizer)
    {
        const int count = 1000;
        float[] Run(Accelerator acc)
        {
            var param = acc.Upload(RandomTensors.Uniform(count, 1));
            var state1 = acc.Filled(count, 0f);
            var state2 = acc.Filled(count, 0f);
            var grad = acc.Allocate(count);
            for (var step = 1; step <= 5; step++)
            {
                acc.CopyFromHost(RandomTensors.Uniform(count, 10 + step), grad);
                switch (optimizer)
                {
                    case "sgd":
                        acc.SgdUpdate(new SgdSettings(0.1f, 0.9f, 0.1f, 1e-4f, false, step == 1), param, grad, state1,
                            count);
                        break;
                    case "sgd-nesterov":
                        acc.SgdUpdate(new SgdSettings(0.1f, 0.9f, 0f, 0f, true, step == 1), param, grad, state1, count);
                        break;
                    case "adam":
                        acc.AdamUpdate(new AdamSettings(1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, step), param, grad, state1,
                            state2, count);
                        break;
                    default:
                        acc.AdadeltaUpdate(new AdadeltaSettings(1f, 0.9f, 1e-6f, 0f), param, grad, state1, state2,
                            count);
                        break;
                }
            }

            return param.ToArray();
        }

        using var cpu = new CpuAccelerator();
        using var cl = new OpenCLAccelerator();
        TensorAssert.Close(Run(cpu).ToDouble(), Run(cl), 1e-6, 1e-6, $"{optimizer} parameters after 5 steps");
    }

    // A device that allows buffers as large as the contract's int length can ask for skips.
    [OpenCLAllocationLimitFact(maxAllocationBelow: (long)int.MaxValue * sizeof(float))]
    public void ABufferLargerThanTheDeviceIsAClearErrorNamingTheBytes()
    {
        using var cl = new OpenCLAccelerator();
        var floats = (int)Math.Min(int.MaxValue, cl.Device.MaxAllocationBytes / sizeof(float) + 1);

        var error = Assert.Throws<DeviceMemoryException>(() => cl.Allocate(floats));

        Assert.Equal((long)floats * sizeof(float), error.BytesNeeded);
        Assert.Contains($"{error.BytesNeeded:N0} bytes", error.Message);
    }

    // conv1's output alone needs 6*28*28 floats per image: past any 2 GiB allocation limit at this batch. A device
    // that could hold it skips.
    [OpenCLAllocationLimitFact(maxAllocationBelow: 6L * 28 * 28 * sizeof(float) * TooLargeBatch)]
    public void AModelTooLargeForTheDeviceNamesTheModelItsBatchAndTheMemoryNeeded()
    {
        using var cl = new OpenCLAccelerator();
        const int batch = TooLargeBatch;

        var error = Assert.Throws<DeviceMemoryException>(() => ModelZoo.Build("lenet5", cl, maxBatch: batch));

        Assert.Contains($"Model 'lenet5' at batch size {batch} needs about", error.Message);
        Assert.Contains($"batches of {batch}", error.Message);
        // The estimate covers at least the conv1 activations and their gradients at this batch.
        Assert.True(error.BytesNeeded >= 2L * 6 * 28 * 28 * sizeof(float) * batch, $"{error.BytesNeeded} bytes");
        Assert.Contains($"{error.BytesNeeded / (1 << 20):N0} MiB", error.Message);
    }

    [OpenCLFact]
    public void SoftmaxCrossEntropyDoesNotThrowForABadLabelOnTheDevice()
    {
        // The engine checks labels on the host; on the device a bad one shows as a NaN loss, not a crash.
        using var cl = new OpenCLAccelerator();
        var logits = cl.Upload([1f, 2f, 3f, 1f, 2f, 3f]);
        var labels = cl.Upload([7f, 1f]);
        var dlogits = cl.Allocate(6);
        var stats = cl.Allocate(2);

        cl.SoftmaxCrossEntropy(logits, labels, 2, 3, 1f, dlogits, stats);

        Assert.True(float.IsNaN(stats.ToArray()[0]));
    }

    [RealMnistFact]
    public void SeedNetLossFallsOnASliceOfMnistOnOpenCL()
    {
        if (OpenCLAccelerator.Devices().Count == 0)
        {
            Assert.True(Environment.GetEnvironmentVariable(OpenCLFactAttribute.RequireVariable) != "1",
                "OpenCL is required but no device is present.");
            return; // OpenCLPresenceTests reports the skip.
        }

        var (train, _) = Mnist.Load(RealMnist.DataDir!);
        using var acc = new OpenCLAccelerator();
        using var net = ModelZoo.Build("seednet", acc, maxBatch: 64, seed: 0);
        using var adam = new Adam(net.Parameters());
        using var trainer = new Trainer(net, adam);
        var epochLosses = LearningTests.EpochLosses(trainer, train.Slice(0, 1024), epochs: 3);

        Assert.True(epochLosses[2] < epochLosses[0] * 0.6,
            $"loss per epoch: {string.Join(", ", epochLosses.Select(l => l.ToString("F3")))}");
    }
}
