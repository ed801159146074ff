using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Models;

namespace GpuCnn.Tests.Onnx;

/// <summary>The networks the ONNX tests export: every node kind and option the exporter writes, the small zoo
/// variants of the model fixtures (Tests/golden/models.py's widths), and four zoo models at full size.</summary>
internal static class ExportCases
{
    private static readonly Dictionary<string, (Shape Input, Func<GraphBuilder, Node, Node> Define)> Table = new()
    {
        ["layers-conv"] = (new Shape(4, 9, 11), Convolutions),
        ["layers-pool"] = (new Shape(3, 9, 10), Pools),
        ["layers-head"] = (new Shape(4, 6, 6), Heads),
        ["layers-padding-circular"] = (new Shape(2, 5, 6), (g, x) => Padding(g, x, PaddingMode.Circular)),
        ["layers-padding-symmetric"] = (new Shape(2, 5, 6), (g, x) => Padding(g, x, PaddingMode.Symmetric)),
        ["small-alexnet"] = (new Shape(3, 67, 67), (g, x) => AlexNet.Define(g, x, 7, 1 / 32f)),
        ["small-alexnet-paper"] = (new Shape(3, 67, 67), (g, x) => AlexNet.DefinePaper(g, x, 7, 1 / 32f)),
        ["small-zfnet"] = (new Shape(3, 64, 64), (g, x) => ZFNet.Define(g, x, 7, 1 / 32f)),
        ["small-vgg-a-lrn"] = (new Shape(3, 32, 32), (g, x) => Vgg.Define(g, x, VggConfig.ALrn, 7, width: 1 / 32f)),
        ["small-vgg-c"] = (new Shape(3, 32, 32), (g, x) => Vgg.Define(g, x, VggConfig.C, 7, width: 1 / 32f)),
        ["small-vgg16-cifar"] = (new Shape(3, 32, 32), (g, x) => Vgg.DefineCifar(g, x, VggConfig.D, 10, 1 / 16f)),
        ["small-resnet18-cifar"] = (new Shape(3, 32, 32), (g, x) => ResNet.ResNet18Cifar(g, x, 10, 4)),
        ["small-resnet50"] = (new Shape(3, 64, 64), (g, x) => ResNet.ResNet50(g, x, 7, 2)),
        ["small-googlenet"] = (new Shape(3, 64, 64), (g, x) => GoogLeNet.Define(g, x, 7, 1 / 16f)),
        ["small-densenet121"] = (new Shape(3, 64, 64), (g, x) => DenseNet.DenseNet121(g, x, 7, 2, 4)),
    };

    /// <summary>Zoo models exported at full size.</summary>
    public static readonly string[] FullSize = ["lenet5", "seednet", "resnet18-cifar", "vgg16-cifar"];

    /// <summary>Every case name: the hand-made and small ones, then the full-size zoo models.</summary>
    public static IEnumerable<string> Names => Table.Keys.Concat(FullSize);

    /// <summary>Builds case <paramref name="name"/> on <paramref name="acc"/> with random running statistics, so
    /// that batch norm in evaluation mode is not the identity.</summary>
    public static Network Build(string name, Accelerator acc, int maxBatch = 4)
    {
        Network net;
        if (Table.TryGetValue(name, out var entry))
        {
            var g = new GraphBuilder();
            net = g.Build(entry.Define(g, g.Input(entry.Input)), acc, maxBatch, seed: 5);
        }
        else
        {
            net = ModelZoo.Build(name, acc, maxBatch, seed: 5);
        }

        var random = new Random(17);
        foreach (var state in net.States())
        {
            var variance = state.Name.EndsWith("running_var", StringComparison.Ordinal);
            state.Load(Enumerable.Range(0, state.Length)
                .Select(_ => variance ? 0.5f + random.NextSingle() : random.NextSingle() - 0.5f).ToArray());
        }

        foreach (var p in net.Parameters().Where(p => p.Name.Contains("bn", StringComparison.Ordinal)))
        {
            p.Load(Enumerable.Range(0, p.Length).Select(_ => 0.5f + random.NextSingle()).ToArray());
        }

        net.Eval();
        return net;
    }

    /// <summary>Inputs for a batch, uniform in [-1, 1).</summary>
    public static float[] Input(Network net, int batch, int seed = 3)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, batch * net.InputShape.Size).Select(_ => random.NextSingle() * 2 - 1).ToArray();
    }

    // Groups, dilation, asymmetric and "same" padding, the padding modes Pad has, GELU, SiLU, the leaky ReLU.
    private static Node Convolutions(GraphBuilder g, Node x)
    {
        var a = g.Conv2d(x, 6, 3, 1, Padding2d.Explicit(0, 1, 2, 1), groups: 2, name: "grouped");
        var b = g.Conv2d(a, 6, 3, 1, Padding2d.Symmetric(2), dilation: 2, name: "dilated");
        var c = g.Gelu(b, "gelu");
        var d = g.Conv2d(c, 6, 3, 2, Padding2d.Same, groups: 6, bias: false, name: "depthwise_same");
        var e = g.Silu(d, "silu");
        var f = g.Conv2d(e, 4, 3, 1, Padding2d.Symmetric(1), name: "reflect", paddingMode: PaddingMode.Reflect);
        var h = g.Conv2d(f, 4, 3, 1, Padding2d.Symmetric(1), name: "replicate", paddingMode: PaddingMode.Replicate);
        var i = g.Pad2d(h, 1, 2, 0, 1, PaddingMode.Constant, 0.25f, "constant");
        var j = g.LeakyRelu(i, 0.2f, "leaky");
        return g.Tanh(g.Conv2d(j, 3, 2, 1, Padding2d.Valid, name: "valid"), "tanh");
    }

    // Max and average pooling with ceil mode and with and without the padding counted, LRN, upsampling, batch norm
    // with and without affine parameters, a concatenation and a residual sum.
    private static Node Pools(GraphBuilder g, Node x)
    {
        var a = g.MaxPool2d(x, 3, 2, 1, "max_ceil", ceilMode: true);
        var b = g.AvgPool2d(x, 3, 2, 1, "avg_ceil_exclude", ceilMode: true, countIncludePad: false);
        var c = g.AvgPool2d(x, 3, 2, 1, "avg_ceil_include", ceilMode: true);
        var cat = g.Concat([a, b, c], "cat");
        var lrn = g.LocalResponseNorm(cat, 5, 1e-2f, 0.75f, 2f, "lrn");
        var bn = g.BatchNorm2d(lrn, name: "bn_affine");
        var plain = g.BatchNorm2d(bn, affine: false, name: "bn_plain");
        var sum = g.Add(g.Sigmoid(plain, "sigmoid"), lrn, "residual");
        return g.Relu(g.Upsample2d(sum, 2, 3, "upsample"), "relu");
    }

    // Global average pooling, flatten, dropout, linear layers with and without bias, softmax and log-softmax.
    private static Node Heads(GraphBuilder g, Node x)
    {
        var h = g.Flatten(g.GlobalAvgPool2d(g.Conv2d(x, 8, 3, padding: 1, name: "conv"), "gap"), "flatten");
        h = g.Dropout(g.Linear(h, 12, name: "fc1"), 0.3f, "dropout");
        var p = g.Softmax(g.Linear(h, 5, bias: false, name: "fc2"), "softmax");
        return g.LogSoftmax(g.Linear(p, 4, name: "fc3"), "logsoftmax");
    }

    private static Node Padding(GraphBuilder g, Node x, PaddingMode mode)
    {
        var padded = g.Pad2d(x, 2, 1, 1, 3, mode, name: "pad");
        return g.Conv2d(padded, 3, 3, 1, Padding2d.Explicit(1, 0, 2, 1), name: "conv", paddingMode: mode);
    }
}
