using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;
using static GpuCnn.Onnx.Export.OnnxGraphWriter;

namespace GpuCnn.Onnx.Export;

/// <summary>The ONNX form of each kind of graph node. A node's output value carries the node's name, so the ONNX
/// graph reads like the summary; helper values of a chain are named <c>{node}/{step}</c>.</summary>
internal static class NodeExport
{
    /// <summary>Writes <paramref name="node"/>; throws <see cref="OnnxExportException"/> naming it when ONNX has no
    /// exact form for it.</summary>
    public static void Write(OnnxGraphWriter w, Node node)
    {
        switch (node)
        {
            case InputNode:
                return;
            case Conv2dNode conv:
                ConvExport.Conv(w, conv);
                return;
            case Pad2dNode pad:
                ConvExport.Pad(w, node, In(node), pad.Geometry, node.Name);
                return;
            case Pool2dNode pool:
                Pool(w, pool);
                return;
            case ActivationNode activation:
                Activation(w, activation);
                return;
            default:
                Simple(w, node);
                return;
        }
    }

    /// <summary>The output value name of <paramref name="node"/>'s input <paramref name="i"/>.</summary>
    public static string In(Node node, int i = 0) => node.Inputs[i].Name;

    /// <summary>The error for a node that cannot be written, naming it and saying why.</summary>
    public static OnnxExportException Refused(Node node, string why) =>
        new($"Node '{node.Name}' ({node.Kind} {node.Describe()}) cannot be exported to ONNX: {why}");

    private static void Simple(OnnxGraphWriter w, Node node)
    {
        var x = In(node);
        switch (node)
        {
            case BatchNorm2dNode bn:
                BatchNorm(w, bn);
                break;
            case LinearNode fc:
                var weight = Weights(w, fc.Parameters[0]);
                string[] inputs = fc.HasBias ? [x, weight, Weights(w, fc.Parameters[1])] : [x, weight];
                w.Node("Gemm", node.Name, inputs, node.Name, Int("transB", 1));
                break;
            case LocalResponseNormNode lrn:
                // ONNX sums over [c - floor((size-1)/2), c + ceil((size-1)/2)], PyTorch and this engine over
                // [c - size/2, c + (size-1)/2]: the same window only when the size is odd.
                if (lrn.Size % 2 == 0)
                {
                    throw Refused(node, $"ONNX's LRN centres an even window of {lrn.Size} one channel later than " +
                        "PyTorch and this engine do; only odd sizes have the same meaning.");
                }

                w.Node("LRN", node.Name, [x], node.Name, Int("size", lrn.Size), Float("alpha", lrn.Alpha),
                    Float("beta", lrn.Beta), Float("bias", lrn.K));
                break;
            case AddNode:
                w.Node("Add", node.Name, [x, In(node, 1)], node.Name);
                break;
            case ConcatNode:
                w.Node("Concat", node.Name, [.. node.Inputs.Select(i => i.Name)], node.Name, Int("axis", 1));
                break;
            case GlobalAvgPool2dNode:
                w.Node("GlobalAveragePool", node.Name, [x], node.Name);
                break;
            case FlattenNode:
                w.Node("Flatten", node.Name, [x], node.Name, Int("axis", 1));
                break;
            case DropoutNode dropout:
                // Without training_mode, Dropout is the identity: the network as it runs in evaluation mode.
                w.Node("Dropout", node.Name, [x, w.Scalar($"{node.Name}.ratio", dropout.Probability)], node.Name);
                break;
            case SoftmaxNode:
                w.Node("Softmax", node.Name, [x], node.Name, Int("axis", 1));
                break;
            case LogSoftmaxNode:
                w.Node("LogSoftmax", node.Name, [x], node.Name, Int("axis", 1));
                break;
            case LeakyReluNode leaky:
                w.Node("LeakyRelu", node.Name, [x], node.Name, Float("alpha", leaky.NegativeSlope));
                break;
            case Upsample2dNode up:
                // Nearest with integer scales: output (y, x) reads input (floor(y / sh), floor(x / sw)).
                w.Node("Resize", node.Name,
                    [x, "", w.Floats($"{node.Name}.scales", [4], [1f, 1f, up.ScaleH, up.ScaleW])], node.Name,
                    Text("mode", "nearest"), Text("coordinate_transformation_mode", "asymmetric"),
                    Text("nearest_mode", "floor"));
                break;
            default:
                throw Refused(node, $"the exporter knows no ONNX form of {node.GetType().Name}.");
        }
    }

    private static void BatchNorm(OnnxGraphWriter w, BatchNorm2dNode bn)
    {
        var channels = bn.OutputShape[0];
        string scale, shift;
        if (bn.Affine)
        {
            scale = Weights(w, bn.Parameters[0]);
            shift = Weights(w, bn.Parameters[1]);
        }
        else
        {
            scale = w.Floats($"{bn.Name}.unit_scale", [channels], Enumerable.Repeat(1f, channels).ToArray());
            shift = w.Floats($"{bn.Name}.zero_shift", [channels], new float[channels]);
        }

        var mean = w.Floats(bn.States[0].Name, [channels], bn.States[0].ToArray());
        var variance = w.Floats(bn.States[1].Name, [channels], bn.States[1].ToArray());
        // ONNX's momentum weighs the old running value (PyTorch's weighs the new batch's).
        w.Node("BatchNormalization", bn.Name, [In(bn), scale, shift, mean, variance], bn.Name,
            Float("epsilon", bn.Eps), Float("momentum", 1f - bn.Momentum));
    }

    private static void Pool(OnnxGraphWriter w, Pool2dNode pool)
    {
        var p = pool.PaddingSize;
        var attributes = new List<Schema.AttributeProto>
        {
            Ints("kernel_shape", pool.KernelSize, pool.KernelSize), Ints("strides", pool.Stride, pool.Stride),
            Ints("pads", p, p, p, p), Int("ceil_mode", pool.CeilMode ? 1 : 0),
        };
        if (!pool.IsMax)
        {
            attributes.Add(Int("count_include_pad", pool.CountIncludePad ? 1 : 0));
        }

        w.Node(pool.IsMax ? "MaxPool" : "AveragePool", pool.Name, [In(pool)], pool.Name, [.. attributes]);
    }

    private static void Activation(OnnxGraphWriter w, ActivationNode node)
    {
        var x = In(node);
        var name = node.Name;
        switch (node.Function)
        {
            case ActivationKind.Relu:
                w.Node("Relu", name, [x], name);
                break;
            case ActivationKind.Tanh:
                w.Node("Tanh", name, [x], name);
                break;
            case ActivationKind.Sigmoid:
                w.Node("Sigmoid", name, [x], name);
                break;
            case ActivationKind.Silu:
                w.Node("Sigmoid", $"{name}/sigmoid", [x], $"{name}/sigmoid");
                w.Node("Mul", name, [x, $"{name}/sigmoid"], name);
                break;
            case ActivationKind.Gelu when w.Opset >= 20:
                w.Node("Gelu", name, [x], name);
                break;
            case ActivationKind.Gelu:
                // Exactly x * (1 + erf(x / sqrt(2))) / 2, the form PyTorch itself exports before opset 20.
                w.Node("Div", $"{name}/scaled", [x, w.Scalar($"{name}.sqrt2", MathF.Sqrt(2f))], $"{name}/scaled");
                w.Node("Erf", $"{name}/erf", [$"{name}/scaled"], $"{name}/erf");
                w.Node("Add", $"{name}/one_plus", [$"{name}/erf", w.Scalar($"{name}.one", 1f)], $"{name}/one_plus");
                w.Node("Mul", $"{name}/times_x", [x, $"{name}/one_plus"], $"{name}/times_x");
                w.Node("Mul", name, [$"{name}/times_x", w.Scalar($"{name}.half", 0.5f)], name);
                break;
            default:
                throw Refused(node, $"the exporter knows no ONNX form of the activation {node.Function}.");
        }
    }

    /// <summary>A parameter as an initializer under its own name.</summary>
    public static string Weights(OnnxGraphWriter w, Parameter p) =>
        w.Floats(p.Name, [.. p.Shape.ToArray().Select(d => (long)d)], p.ToArray());
}
