using GpuCnn.Engine;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// A whole network, conv -> relu -> maxpool -> flatten -> linear -> tanh -> linear -> softmax, trained through the
/// fused cross-entropy: the gradients the engine computes for the input and every parameter against central
/// differences of the same network composed from the double reference with the engine's own weights. Doing the
/// differences in double makes a step of 1e-6 possible, far too small to cross a ReLU or max-pool kink.
/// </summary>
public sealed class GradientChecksNetwork
{
    private const int Batch = 3;
    private const int Classes = 5;
    private const int Hidden = 8;

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void NetworkGradientsMatchCentralDifferencesOfTheReference(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var x = g.Input(new Shape(2, 9, 11), requiresGrad: true);
        var h = g.MaxPool2d(g.Relu(g.Conv2d(x, 4, 3, padding: 1)), 2);
        h = g.Tanh(g.Linear(g.Flatten(h), Hidden));
        var probabilities = g.Softmax(g.Linear(h, Classes));
        using var net = g.Build(probabilities, acc, maxBatch: Batch, seed: 11);
        using var loss = new SoftmaxCrossEntropyLoss(net);
        Assert.Equal(["conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"],
            net.Parameters().Select(p => p.Name));

        var input = RandomTensors.Uniform(Batch * net.InputShape.Size, 1);
        var labels = RandomTensors.Labels(Batch, Classes, 2);
        net.Forward(input, Batch);
        var (engineLoss, _) = loss.Compute(labels, Batch);
        net.ZeroGrad();
        loss.Backward();

        var reference = new ReferenceNetwork(input.ToDouble(), net.Parameters().Select(p => p.ToArray().ToDouble())
            .ToArray(), labels);
        Assert.Equal(reference.Loss(), engineLoss, 1e-5);
        TensorAssert.Close(reference.Probabilities(), net.Predict(input, Batch), 1e-6, 1e-5, "probabilities");

        TensorAssert.Close(FiniteDifferences.Gradient(reference.Input, reference.Loss, 1e-6),
            net.GradOf(net.Input)!.ToArray()[..input.Length], 1e-7, 1e-4, "input gradient");
        for (var i = 0; i < net.Parameters().Count; i++)
        {
            var p = net.Parameters()[i];
            TensorAssert.Close(FiniteDifferences.Gradient(reference.Parameters[i], reference.Loss, 1e-6),
                p.GradToArray(), 1e-7, 1e-4, $"{p.Name} gradient");
        }
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void ParameterGradientsAccumulateUntilZeroedButActivationGradientsDoNot(string accelerator)
    {
        // Gradient accumulation over micro-batches relies on this: a second backward pass adds to parameter
        // gradients, while the input gradient is recomputed from scratch.
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var x = g.Input(new Shape(2, 6, 5), requiresGrad: true);
        var logits = g.Linear(g.Tanh(g.Linear(g.Flatten(g.Conv2d(x, 3, 3, padding: 1)), 7)), Classes);
        using var net = g.Build(logits, acc, maxBatch: Batch, seed: 4);
        using var loss = new SoftmaxCrossEntropyLoss(net);
        net.Forward(RandomTensors.Uniform(Batch * net.InputShape.Size, 1), Batch);
        loss.Compute(RandomTensors.Labels(Batch, Classes, 2), Batch);

        net.ZeroGrad();
        loss.Backward();
        var once = net.Parameters().Select(p => p.GradToArray()).ToArray();
        var inputOnce = net.GradOf(net.Input)!.ToArray();
        loss.Backward();

        for (var i = 0; i < once.Length; i++)
        {
            TensorAssert.Close(once[i].Select(v => 2.0 * v).ToArray(), net.Parameters()[i].GradToArray(), 1e-7, 1e-5,
                $"{net.Parameters()[i].Name} after two backward passes");
        }

        TensorAssert.Close(inputOnce.ToDouble(), net.GradOf(net.Input)!.ToArray(), 0, 0,
            "input gradient after two backward passes");
        net.ZeroGrad();
        Assert.All(net.Parameters(), p => Assert.All(p.GradToArray(), v => Assert.Equal(0f, v)));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void DropoutInEvalModeIsTheIdentityBothWays(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var (net, dropout) = DropoutNetwork(acc, 0.5f, seed: 1);
        using var _ = net;
        var (x, r) = (RandomTensors.Uniform(Batch * 35, 1), RandomTensors.Uniform(Batch * 35, 2));
        net.Eval();
        net.Forward(x, Batch);
        acc.CopyFromHost(r, net.GradOf(dropout)!);
        net.Backward(dropout);

        Assert.Equal(x, net.OutputOf(dropout).ToArray()[..x.Length]);
        Assert.Equal(r, net.GradOf(net.Input)!.ToArray()[..r.Length]);
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void DropoutInTrainModeScalesOrDropsAndItsGradientIsMaskTimesDy(string accelerator)
    {
        const float P = 0.3f;
        using var acc = Accelerators.Create(accelerator);
        var (net, dropout) = DropoutNetwork(acc, P, seed: 1);
        using var _ = net;
        var count = Batch * 35;
        var (x, r) = (RandomTensors.AwayFromZero(count, 3, 0.05f), RandomTensors.Uniform(count, 4));
        net.Train();
        net.Forward(x, Batch);
        acc.CopyFromHost(r, net.GradOf(dropout)!);
        net.Backward(dropout);
        var (y, dx) = (net.OutputOf(dropout).ToArray(), net.GradOf(net.Input)!.ToArray());

        // The mask is 0 or 1/(1-p), and the backward pass must apply the very mask the forward pass drew.
        var keep = 1f / (1f - P);
        for (var i = 0; i < count; i++)
        {
            var kept = y[i] != 0f;
            Assert.Equal(kept ? x[i] * keep : 0f, y[i]);
            Assert.Equal(kept ? r[i] * keep : 0f, dx[i]);
        }

        Assert.InRange(y[..count].Count(v => v == 0f) / (double)count, P - 0.1, P + 0.1);
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void DropoutMasksChangeEveryStepAndRepeatWithTheSeed(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var ones = Enumerable.Repeat(1f, Batch * 35).ToArray();
        float[][] Masks(ulong seed)
        {
            var (net, dropout) = DropoutNetwork(acc, 0.5f, seed);
            using var _ = net;
            return Enumerable.Range(0, 3).Select(_ =>
            {
                net.Forward(ones, Batch);
                return net.OutputOf(dropout).ToArray()[..ones.Length];
            }).ToArray();
        }

        var (first, again, other) = (Masks(7), Masks(7), Masks(8));

        Assert.NotEqual(first[0], first[1]);
        Assert.NotEqual(first[1], first[2]);
        Assert.Equal(first, again);
        Assert.NotEqual(first[0], other[0]);
    }

    private static (Network Net, Node Dropout) DropoutNetwork(GpuCnn.Kernels.Accelerator acc, float p, ulong seed)
    {
        var g = new GraphBuilder();
        var dropout = g.Dropout(g.Input(new Shape(5, 7), requiresGrad: true), p);
        return (g.Build(dropout, acc, maxBatch: Batch, seed: seed), dropout);
    }

    // The same network in double precision, weights given in the engine's parameter order.
    private sealed class ReferenceNetwork(double[] input, double[][] parameters, int[] labels)
    {
        private static readonly Conv2dGeometry Conv = new(Batch, 2, 9, 11, 4, 3, 3, PadTop: 1, PadLeft: 1,
            PadBottom: 1, PadRight: 1);

        private static readonly Pool2dGeometry Pool = new(Batch, 4, 9, 11, 2, 2, 2, 2);

        private const int Flat = 4 * 4 * 5;

        public double[] Input { get; } = input;

        public double[][] Parameters { get; } = parameters;

        public double[] Probabilities() => ReferenceOps.Softmax(Logits(), Batch, Classes);

        public double Loss() =>
            ReferenceOps.SoftmaxCrossEntropy(Logits(), labels, Batch, Classes, 1.0 / Batch).LossSum / Batch;

        private double[] Logits()
        {
            var p = Parameters;
            var conv = ReferenceOps.Conv2dForward(Conv, Input, p[0], p[1]);
            var pooled = ReferenceOps.MaxPool2dForward(Pool, ReferenceOps.Activation(ActivationKind.Relu, conv));
            var hidden = ReferenceOps.Activation(ActivationKind.Tanh, Dense(pooled, p[2], p[3], Flat, Hidden));
            return Dense(hidden, p[4], p[5], Hidden, Classes);
        }

        // PyTorch's Linear: y = x W^T + b with W:(out, in).
        private static double[] Dense(double[] x, double[] weight, double[] bias, int inputs, int outputs) =>
            ReferenceOps.BiasAdd(ReferenceOps.Gemm(false, true, Batch, outputs, inputs, 1, x, weight, 0, []), bias,
                Batch, outputs, 1);
    }
}
