using GpuCnn.Engine;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>What every accelerator promises besides arithmetic: errors that name the offending buffer, released
/// buffers that cannot be used, and a pool that makes a warm training step allocate nothing.</summary>
public sealed class AcceleratorContractTests
{
    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void ShortOperandIsNamedWithItsLengthAndTheRangeNeeded(string accelerator)
    {
        var g = new Conv2dGeometry(2, 3, 9, 13, 5, 3, 3);
        using var acc = Accelerators.Create(accelerator);
        var (x, w, y) = (acc.Allocate(g.InputLength), acc.Allocate(g.WeightLength - 1), acc.Allocate(g.OutputLength));

        var error = Assert.Throws<ArgumentException>(() => acc.Conv2dForward(g, x, w, null, y));

        Assert.Equal("w", error.ParamName);
        Assert.Contains($"'w' holds {g.WeightLength - 1} floats", error.Message);
        Assert.Contains($"[0, {g.WeightLength})", error.Message);
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void EveryOperandOfAnOpIsCheckedUnderItsOwnName(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var pool = new Pool2dGeometry(1, 2, 6, 6, 2, 2, 2, 2);
        var big = acc.Allocate(1000);
        var small = acc.Allocate(5);

        AssertNames("dx", () => acc.MaxPool2dBackward(pool, big, big, small));
        AssertNames("dy", () => acc.AvgPool2dBackward(pool, small, big));
        AssertNames("c", () => acc.Gemm(false, false, 3, 4, 5, 1f, big, big, 0f, small));
        AssertNames("b", () => acc.Gemm(true, true, 3, 4, 5, 1f, big, small, 0f, big));
        AssertNames("bias", () => acc.BiasAddForward(big, small, 2, 6, 3));
        AssertNames("stats", () => acc.SoftmaxCrossEntropy(big, big, 2, 3, 1f, big, acc.Allocate(1)));
        AssertNames("mask", () => acc.DropoutBackward(small, big, big, 6));
        AssertNames("destination", () => acc.CopyFromHost(new float[6], small));
        AssertNames("destination", () => acc.CopyFromHost(new float[2], small, offset: 4));
        AssertNames("source", () => acc.CopyToHost(small, new float[2], offset: -1));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void ReleasedBufferCannotBeUsed(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var x = acc.Filled(8, 1f);
        var y = acc.Allocate(8);
        x.Release();

        Assert.True(x.IsReleased);
        var error = Assert.Throws<ObjectDisposedException>(() => acc.ActivationForward(ActivationKind.Relu, x, y, 8));
        Assert.Contains("'x'", error.Message);
        Assert.Throws<ObjectDisposedException>(() => acc.Fill(x, 0f));
        Assert.Throws<ObjectDisposedException>(() => x.ToArray());
        Assert.ThrowsAny<InvalidOperationException>(() => x.Release());
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void BufferOfAnotherAcceleratorIsRejectedByName(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        using var other = Accelerators.Create(accelerator);
        var foreign = other.Allocate(4);

        var error = Assert.Throws<ArgumentException>(() => acc.Fill(foreign, 0f));
        Assert.Equal("buffer", error.ParamName);
        Assert.Contains("belongs to", error.Message);
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void PoolHandsBackAReleasedBufferOfTheSameLength(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var first = acc.Allocate(100);
        var created = acc.BuffersCreated;
        var bytes = acc.BytesAllocated;
        first.Release();

        var again = acc.Allocate(100);
        Assert.Same(first, again);
        Assert.False(again.IsReleased);
        Assert.Equal(created, acc.BuffersCreated);
        Assert.Equal(bytes, acc.BytesAllocated);

        // A different length cannot reuse it.
        acc.Allocate(101);
        Assert.Equal(created + 1, acc.BuffersCreated);
        Assert.Equal(bytes + 101 * sizeof(float), acc.BytesAllocated);
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void ZeroedAllocationClearsARecycledBuffer(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        acc.Filled(33, 7f).Release();

        TensorAssert.Close(new double[33], acc.AllocateZeroed(33).ToArray(), 0, 0, "recycled zeroed buffer");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void DisposedAcceleratorRefusesWork(string accelerator)
    {
        var acc = Accelerators.Create(accelerator);
        var buffer = acc.Allocate(4);
        acc.Dispose();

        Assert.Throws<ObjectDisposedException>(() => acc.Allocate(4));
        Assert.Throws<ObjectDisposedException>(() => acc.Fill(buffer, 1f));
        acc.Dispose();
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void EmptyAllocationIsRejected(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        Assert.Throws<ArgumentOutOfRangeException>(() => acc.Allocate(0));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void InvalidGeometryIsRejectedBeforeAnyWork(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var big = acc.Allocate(10_000);

        var groups = Assert.Throws<ArgumentException>(() =>
            acc.Conv2dForward(new Conv2dGeometry(1, 3, 8, 8, 4, 3, 3, Groups: 2), big, big, null, big));
        Assert.Contains("groups=2", groups.Message);

        var empty = Assert.Throws<ArgumentException>(() =>
            acc.Conv2dForward(new Conv2dGeometry(1, 1, 3, 3, 1, 5, 5), big, big, null, big));
        Assert.Contains("floor(", empty.Message);

        Assert.Throws<ArgumentException>(() =>
            acc.MaxPool2dForward(new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2, 2, 0), big, big));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void KernelLargerThanThePaddedInputIsRejectedWhateverTheStride(string accelerator)
    {
        // floor((4 - 5)/2) + 1 = 0 and floor((2 - 3)/2) + 1 = 0: PyTorch rejects both.
        using var acc = Accelerators.Create(accelerator);
        var big = acc.Allocate(100);
        Assert.Throws<ArgumentException>(() =>
            acc.Conv2dForward(new Conv2dGeometry(1, 1, 4, 4, 1, 5, 5, StrideH: 2, StrideW: 2), big, big, null, big));
        Assert.Throws<ArgumentException>(() =>
            acc.MaxPool2dForward(new Pool2dGeometry(1, 1, 2, 2, 3, 3, 2, 2), big, big));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void WarmTrainingStepsAllocateNothing(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        using var net = SmallNetwork(acc, dropout: true);
        using var loss = new SoftmaxCrossEntropyLoss(net);
        using var optimizer = new Adam(net.Parameters());
        var input = RandomTensors.Uniform(8 * net.InputShape.Size, 1);
        var labels = RandomTensors.Labels(8, 10, 2);

        // Batches of different sizes all fit the buffers planned for the largest.
        TrainStep(net, loss, optimizer, input, labels, 8);
        var created = acc.BuffersCreated;
        var bytes = acc.BytesAllocated;
        foreach (var batch in new[] { 8, 3, 1, 8, 5 })
        {
            TrainStep(net, loss, optimizer, input, labels, batch);
            net.Eval();
            net.Predict(input, batch);
            net.Train();
        }

        Assert.Equal(created, acc.BuffersCreated);
        Assert.Equal(bytes, acc.BytesAllocated);
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void RebuildingADisposedNetworkReusesItsBuffers(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        SmallNetwork(acc, dropout: false).Dispose();
        var created = acc.BuffersCreated;

        SmallNetwork(acc, dropout: false).Dispose();

        Assert.Equal(created, acc.BuffersCreated);
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void RebuildingADisposedNetworkWithDropoutReusesItsBuffers(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        SmallNetwork(acc, dropout: true).Dispose();
        var created = acc.BuffersCreated;

        SmallNetwork(acc, dropout: true).Dispose();

        Assert.Equal(created, acc.BuffersCreated);
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void OneGraphBuiltTwiceGivesIndependentNetworks(string accelerator)
    {
        // Running one model definition on every accelerator (or twice on one) needs each Build to own its state.
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var output = g.Linear(g.Input(new Shape(3)), 2);
        using var first = g.Build(output, acc, maxBatch: 1, seed: 1);
        var firstOutput = first.Predict([1f, 2f, 3f], 1);
        using var second = g.Build(output, acc, maxBatch: 1, seed: 2);

        Assert.Equal(2, second.Parameters().Count);
        Assert.Equal(firstOutput, first.Predict([1f, 2f, 3f], 1));
        var (w, b) = (second.Parameters()[0].ToArray().ToDouble(), second.Parameters()[1].ToArray().ToDouble());
        var product = ReferenceOps.Gemm(false, true, 1, 2, 3, 1, [1, 2, 3], w, 0, []);
        var expected = ReferenceOps.BiasAdd(product, b, 1, 2, 1);
        TensorAssert.Close(expected, second.Predict([1f, 2f, 3f], 1), 1e-6, 1e-5, "second network's output");
    }

    private static Network SmallNetwork(Accelerator acc, bool dropout)
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(1, 12, 12));
        var h = g.MaxPool2d(g.Relu(g.Conv2d(x, 4, 3, padding: 1)), 2);
        h = g.Tanh(g.Linear(g.Flatten(h), 16));
        if (dropout)
        {
            h = g.Dropout(h, 0.25f);
        }

        return g.Build(g.Linear(h, 10), acc, maxBatch: 8, seed: 3);
    }

    private static void TrainStep(Network net, SoftmaxCrossEntropyLoss loss, Optimizer optimizer, float[] input,
        int[] labels, int batch)
    {
        net.Forward(input, batch);
        loss.Compute(labels, batch);
        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();
    }

    private static void AssertNames(string name, Action call)
    {
        var error = Assert.ThrowsAny<ArgumentException>(call);
        Assert.Equal(name, error.ParamName);
        Assert.Contains($"'{name}'", error.Message);
    }
}
