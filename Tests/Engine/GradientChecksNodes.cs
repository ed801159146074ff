using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// Each node type in a one-node graph whose input requires a gradient (and one short chain): the gradients a
/// network's backward pass leaves in the input and in every parameter (conv, linear and batch norm weight and bias)
/// against central differences of the network's own forward pass, in float on each accelerator. This checks how a
/// node wires its kernels: which buffer it hands to which argument, the batch it passes, what it skips.
/// </summary>
public sealed class GradientChecksNodes
{
    private const int Batch = 3;
    private const float Step = 1e-2f;
    private const double Atol = 1e-4;
    private const double Rtol = 1e-3;

    private static readonly Dictionary<string, NodeCase> Cases = new()
    {
        ["conv-stride2-pad0101"] = new(new Shape(2, 7, 9), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 4, 3, 2, Padding2d.Explicit(0, 1, 0, 1))),
        ["conv-same-dilation2-groups2"] = new(new Shape(4, 6, 7), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 4, 3, 1, Padding2d.Same, dilation: 2, groups: 2)),
        ["conv-even-kernel-same"] = new(new Shape(2, 5, 7), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 3, 4, 1, Padding2d.Same)),
        ["conv-1x1-without-bias"] = new(new Shape(3, 5, 6), Smooth, ["conv1.weight"],
            (g, x) => g.Conv2d(x, 2, 1, bias: false)),
        ["linear-after-flatten"] = new(new Shape(2, 3, 4), Smooth, ["fc1.weight", "fc1.bias"],
            (g, x) => g.Linear(g.Flatten(x), 5)),
        ["linear-without-bias"] = new(new Shape(7), Smooth, ["fc1.weight"], (g, x) => g.Linear(x, 3, bias: false)),
        ["maxpool-k3s2-pad1"] = new(new Shape(2, 7, 6), Distinct, [], (g, x) => g.MaxPool2d(x, 3, 2, 1)),
        ["avgpool-k3s2-pad1"] = new(new Shape(2, 7, 6), Smooth, [], (g, x) => g.AvgPool2d(x, 3, 2, 1)),
        ["avgpool-k2"] = new(new Shape(3, 5, 4), Smooth, [], (g, x) => g.AvgPool2d(x, 2)),
        ["maxpool-k3s2-ceil"] = new(new Shape(2, 8, 7), Distinct, [], (g, x) => g.MaxPool2d(x, 3, 2, ceilMode: true)),
        ["avgpool-k3s2-pad1-ceil"] = new(new Shape(2, 8, 7), Smooth, [],
            (g, x) => g.AvgPool2d(x, 3, 2, 1, ceilMode: true)),
        ["relu"] = new(new Shape(3, 4, 5), AwayFromZero, [], (g, x) => g.Relu(x)),
        ["tanh"] = new(new Shape(3, 4, 5), AwayFromZero, [], (g, x) => g.Tanh(x)),
        ["sigmoid"] = new(new Shape(3, 4, 5), AwayFromZero, [], (g, x) => g.Sigmoid(x)),
        ["softmax"] = new(new Shape(6), Smooth, [], (g, x) => g.Softmax(x)),
        ["dropout-in-eval-mode"] = new(new Shape(11), Smooth, [], (g, x) => g.Dropout(x, 0.5f), Eval: true),
        // Explicit padding, every mode; amounts (1, 2, 3, 4) reach reflect's limit at the bottom (H - 1 = 3).
        ["pad-zeros"] = new(new Shape(2, 4, 5), Smooth, [], (g, x) => g.Pad2d(x, 1, 2, 3, 4)),
        ["pad-constant"] = new(new Shape(2, 4, 5), Smooth, [],
            (g, x) => g.Pad2d(x, 1, 2, 3, 4, PaddingMode.Constant, 0.5f)),
        ["pad-replicate"] = new(new Shape(2, 4, 5), Smooth, [],
            (g, x) => g.Pad2d(x, 1, 2, 3, 4, PaddingMode.Replicate)),
        ["pad-reflect"] = new(new Shape(2, 4, 5), Smooth, [], (g, x) => g.Pad2d(x, 1, 2, 3, 4, PaddingMode.Reflect)),
        ["pad-symmetric"] = new(new Shape(2, 4, 5), Smooth, [],
            (g, x) => g.Pad2d(x, 1, 2, 3, 4, PaddingMode.Symmetric)),
        ["pad-circular"] = new(new Shape(2, 4, 5), Smooth, [],
            (g, x) => g.Pad2d(x, 1, 2, 3, 4, PaddingMode.Circular)),
        // Convolutions whose padding holds something other than zeros: a padding step before the convolution.
        ["conv-reflect-same-stride2"] = new(new Shape(2, 7, 6), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 3, 3, 2, Padding2d.Same, paddingMode: PaddingMode.Reflect)),
        ["conv-reflect-explicit"] = new(new Shape(2, 7, 6), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 3, 3, 1, Padding2d.Explicit(1, 0, 2, 1), paddingMode: PaddingMode.Reflect)),
        ["conv-replicate-explicit-stride2"] = new(new Shape(2, 7, 6), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 3, 3, 2, Padding2d.Explicit(2, 1, 0, 2), paddingMode: PaddingMode.Replicate)),
        ["conv-circular-same-even-kernel"] = new(new Shape(2, 7, 6), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 3, 4, 1, Padding2d.Same, paddingMode: PaddingMode.Circular)),
        ["conv-circular-explicit-stride2"] = new(new Shape(2, 7, 6), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 3, 3, 2, Padding2d.Explicit(0, 2, 1, 1), paddingMode: PaddingMode.Circular)),
        ["conv-symmetric-explicit-stride2"] = new(new Shape(2, 7, 6), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 3, 3, 2, Padding2d.Explicit(1, 2, 2, 1), paddingMode: PaddingMode.Symmetric)),
        ["conv-symmetric-same"] = new(new Shape(2, 7, 6), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 3, 3, 1, Padding2d.Same, paddingMode: PaddingMode.Symmetric)),
        ["conv-constant-0.5-same-stride2"] = new(new Shape(2, 7, 6), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 3, 3, 2, Padding2d.Same, paddingMode: PaddingMode.Constant, paddingValue: 0.5f)),
        ["conv-constant-0.5-explicit"] = new(new Shape(2, 7, 6), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 3, 3, 1, Padding2d.Explicit(2, 0, 1, 1), paddingMode: PaddingMode.Constant,
                paddingValue: 0.5f)),
        ["conv-full"] = new(new Shape(2, 5, 4), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 3, 3, 1, Padding2d.Full)),
        ["conv-full-stride2-replicate"] = new(new Shape(2, 5, 4), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Conv2d(x, 3, 3, 2, Padding2d.Full, paddingMode: PaddingMode.Replicate)),
        ["global-avg-pool"] = new(new Shape(3, 4, 5), Smooth, [], (g, x) => g.GlobalAvgPool2d(x)),
        // Add and Concat: the input reaches the output along two or three paths whose gradients must sum.
        ["add-input-and-conv"] = new(new Shape(2, 5, 4), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Add(x, g.Conv2d(x, 2, 3, 1, Padding2d.Same))),
        ["add-x-x"] = new(new Shape(2, 3, 4), Smooth, [], (g, x) => g.Add(x, x)),
        ["concat-three-of-2-3-1-channels"] = new(new Shape(3, 4, 5), Smooth,
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"],
            (g, x) => g.Concat([g.Conv2d(x, 2, 3, 1, Padding2d.Same), x, g.Conv2d(x, 1, 1)])),
        ["concat-a-a"] = new(new Shape(3, 4, 5), Smooth, ["conv1.weight", "conv1.bias"], (g, x) =>
        {
            var a = g.Conv2d(x, 2, 1);
            return g.Concat([a, a]);
        }),
        ["batchnorm"] = new(new Shape(3, 4, 5), Smooth, ["bn1.weight", "bn1.bias"], (g, x) => g.BatchNorm2d(x)),
        ["batchnorm-in-eval-mode"] = new(new Shape(3, 4, 5), Smooth, ["bn1.weight", "bn1.bias"],
            (g, x) => g.BatchNorm2d(x), Eval: true),
        ["batchnorm-without-affine"] = new(new Shape(2, 3, 2), Smooth, [],
            (g, x) => g.BatchNorm2d(x, affine: false)),
        ["lrn-alexnet"] = new(new Shape(7, 3, 4), Smooth, [], (g, x) => g.LocalResponseNorm(x, 5, 5e-4f, 0.75f, 2f)),
        ["lrn-size2-large-alpha"] = new(new Shape(5, 2, 3), Smooth, [],
            (g, x) => g.LocalResponseNorm(x, 2, 2f, 0.75f, 1f)),

        // The batch norm's output feeds the ReLU; this input keeps every value of it at least 0.1 from the kink
        // (checked below), farther than any single step of 0.01 moves it.
        ["conv-bn-relu"] = new(new Shape(2, 3, 3), count => RandomTensors.Uniform(count, 23),
            ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias"],
            (g, x) => g.Relu(g.BatchNorm2d(g.Conv2d(x, 2, 2))), KinkMargin: 0.1f),
    };

    public static TheoryData<string, string> Data => Accelerators.Cross(Cases.Keys);

    [Theory]
    [MemberData(nameof(Data))]
    public void NodeGradientsMatchCentralDifferences(string accelerator, string name)
    {
        var item = Cases[name];
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var x = g.Input(item.Input, requiresGrad: true);
        var output = item.Make(g, x);
        using var net = g.Build(output, acc, maxBatch: Batch, seed: 5);
        if (item.Eval)
        {
            net.Eval();
        }

        Assert.Equal(item.Parameters, net.Parameters().Select(p => p.Name));
        var outputLength = Batch * output.OutputShape.Size;
        var r = RandomTensors.Uniform(outputLength, 2).ToDouble();
        var input = item.Data(Batch * item.Input.Size);
        acc.CopyFromHost(input, net.OutputOf(net.Input));
        double Loss()
        {
            net.Forward(Batch);
            return FiniteDifferences.Dot(Head(net.OutputOf(output), outputLength), r);
        }

        net.Forward(Batch);
        if (item.KinkMargin > 0)
        {
            var kinkInput = Head(net.OutputOf(output.Inputs[0]), outputLength);
            Assert.All(kinkInput, v => Assert.True(Math.Abs(v) > item.KinkMargin, $"{v} lies near the kink at 0"));
        }

        acc.CopyFromHost(Array.ConvertAll(r, v => (float)v), net.GradOf(output)!);
        net.Backward(output);

        TensorAssert.Close(FiniteDifferences.Gradient(acc, net.OutputOf(net.Input), input, Loss, Step),
            Head(net.GradOf(net.Input)!, input.Length), Atol, Rtol, $"{name} input gradient");
        foreach (var p in net.Parameters())
        {
            TensorAssert.Close(FiniteDifferences.Gradient(acc, p.Value, p.ToArray(), Loss, Step), p.GradToArray(),
                Atol, Rtol, $"{name} {p.Name} gradient");
        }
    }

    private static float[] Head(DeviceBuffer buffer, int count) => buffer.ToArray()[..count];

    private static float[] Smooth(int count) => RandomTensors.Uniform(count, 1);

    // 0.05 apart, so a step of 0.01 never changes a window's maximum.
    private static float[] Distinct(int count) => RandomTensors.Distinct(count, 1, 0.05f);

    // Clear of ReLU's kink at 0 by more than the step.
    private static float[] AwayFromZero(int count) => RandomTensors.AwayFromZero(count, 1, 0.05f);

    private sealed record NodeCase(Shape Input, Func<int, float[]> Data, string[] Parameters,
        Func<GraphBuilder, Node, Node> Make, bool Eval = false, float KinkMargin = 0);
}
