using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// A node with several consumers collects the sum of their gradients. The graph
/// <code>
/// h = relu(conv1(x))                      h feeds conv2, add1, cat1 and flatten1
/// s = add1(h, conv2(h))                   a residual connection
/// c = cat1(s, h)                          concatenation of a node and one of its own inputs
/// y = add2(fc1(flatten1(h)), fc2(flatten2(c)))   flatten1 is a view of the four-consumer h
/// </code>
/// is checked against central differences of the same graph composed from the double reference with the engine's
/// weights (a step of 1e-6 cannot cross the ReLU's kink), for the input and every parameter, on every accelerator.
/// </summary>
public sealed class GradientChecksSharedNodes
{
    private const int Batch = 3;
    private const int Features = 4;
    private static readonly Shape InputShape = new(2, 6, 5);

    // (N, C, H, W) = (Batch, 2 -> 3 channels, 6, 5) for conv1 and (3 -> 3) for conv2, both 3x3 with padding 1.
    private static readonly Conv2dGeometry Conv1 = new(Batch, 2, 6, 5, 3, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1,
        PadRight: 1);

    private static readonly Conv2dGeometry Conv2 = Conv1 with { C = 3 };

    private const int Plane = 6 * 5;

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void GradientsOfAManyConsumerGraphMatchCentralDifferencesOfTheReference(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var x = g.Input(InputShape, requiresGrad: true);
        var h = g.Relu(g.Conv2d(x, 3, 3, padding: 1));
        var s = g.Add(h, g.Conv2d(h, 3, 3, padding: 1));
        var c = g.Concat([s, h]);
        var y = g.Add(g.Linear(g.Flatten(h), Features), g.Linear(g.Flatten(c), Features));
        using var net = g.Build(y, acc, maxBatch: Batch, seed: 21);
        string[] names = ["conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias", "conv2.weight", "conv2.bias",
            "fc2.weight", "fc2.bias"];
        Assert.Equal(names, net.Parameters().Select(p => p.Name));
        Assert.Equal(new Shape(6, 6, 5), c.OutputShape);

        var input = RandomTensors.Uniform(Batch * InputShape.Size, 1);
        var r = RandomTensors.Uniform(Batch * Features, 2);
        net.Forward(input, Batch);
        acc.CopyFromHost(r, net.GradOf(y)!);
        net.ZeroGrad();
        net.Backward(y);

        var reference = new ReferenceGraph(input.ToDouble(),
            names.Select(n => net.Parameter(n).ToArray().ToDouble()).ToArray(), r.ToDouble());
        TensorAssert.Close(reference.Output(), net.OutputOf(y).ToArray()[..(Batch * Features)], 1e-6, 1e-5,
            "output");
        TensorAssert.Close(FiniteDifferences.Gradient(reference.Input, reference.Loss, 1e-6),
            net.GradOf(x)!.ToArray()[..input.Length], 1e-6, 1e-4, "input gradient");
        for (var i = 0; i < names.Length; i++)
        {
            TensorAssert.Close(FiniteDifferences.Gradient(reference.Parameters[i], reference.Loss, 1e-6),
                net.Parameter(names[i]).GradToArray(), 1e-6, 1e-4, $"{names[i]} gradient");
        }
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void EveryConsumerAddsItsShareOfTheGradient(string accelerator)
    {
        // y = cat(h + h, h, conv(h)) with h = conv(x). Backward is linear in dy, so the input gradient for dy = ones
        // must be the sum of those for dy = ones on each slice alone (zeros elsewhere): a consumer that overwrote
        // h's gradient instead of adding to it would break the sum. The slices are 3, 3 and 2 channels.
        using var acc = Accelerators.Create(accelerator);
        var input = RandomTensors.Uniform(Batch * InputShape.Size, 3);
        var all = InputGradient(acc, input, 0, 8);
        var sum = new double[all.Length];
        foreach (var (first, end) in new[] { (0, 3), (3, 6), (6, 8) })
        {
            var part = InputGradient(acc, input, first, end);
            Assert.Contains(part, v => Math.Abs(v) > 0.01);
            for (var i = 0; i < sum.Length; i++)
            {
                sum[i] += part[i];
            }
        }

        TensorAssert.Close(sum, all, 1e-6, 1e-5, "gradient of every consumer against the sum of each alone");
    }

    // The input gradient of x -> h = conv(x) -> cat(h + h, h, conv(h)) for dy = 1 on channels [first, end).
    private static float[] InputGradient(GpuCnn.Kernels.Accelerator acc, float[] input, int first, int end)
    {
        var g = new GraphBuilder();
        var x = g.Input(InputShape, requiresGrad: true);
        var h = g.Conv2d(x, 3, 3, padding: 1);
        var y = g.Concat([g.Add(h, h), h, g.Conv2d(h, 2, 1)]);
        using var net = g.Build(y, acc, maxBatch: Batch, seed: 5);
        net.Forward(input, Batch);
        var dy = new float[Batch * y.OutputShape.Size];
        for (var i = 0; i < dy.Length; i++)
        {
            var channel = i / Plane % 8;
            dy[i] = channel >= first && channel < end ? 1f : 0f;
        }

        acc.CopyFromHost(dy, net.GradOf(y)!);
        net.Backward(y);
        return net.GradOf(x)!.ToArray()[..input.Length];
    }

    // The graph above in double precision; parameters in the order of the engine's names.
    private sealed class ReferenceGraph(double[] input, double[][] parameters, double[] r)
    {
        public double[] Input { get; } = input;

        public double[][] Parameters { get; } = parameters;

        public double Loss() => FiniteDifferences.Dot(Output(), r);

        public double[] Output()
        {
            var p = Parameters;
            var h = ReferenceOps.Activation(ActivationKind.Relu, ReferenceOps.Conv2dForward(Conv1, Input, p[0], p[1]));
            var conv2 = ReferenceOps.Conv2dForward(Conv2, h, p[4], p[5]);
            var s = h.Select((v, i) => v + conv2[i]).ToArray();
            var c = new double[Batch * 6 * Plane];
            c = ReferenceOps.ChannelCopy(new ChannelCopyGeometry(Batch, Plane, 3, 3, 0, 6, 0), s, c, false);
            c = ReferenceOps.ChannelCopy(new ChannelCopyGeometry(Batch, Plane, 3, 3, 0, 6, 3), h, c, false);
            var a = Dense(h, p[2], p[3], 3 * Plane);
            var b = Dense(c, p[6], p[7], 6 * Plane);
            return a.Select((v, i) => v + b[i]).ToArray();
        }

        // PyTorch's Linear: y = x W^T + b with W:(out, in).
        private static double[] Dense(double[] x, double[] weight, double[] bias, int inputs) =>
            ReferenceOps.BiasAdd(ReferenceOps.Gemm(false, true, Batch, Features, inputs, 1, x, weight, 0, []), bias,
                Batch, Features, 1);
    }
}
