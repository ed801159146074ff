using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;
using GpuCnn.Onnx.Schema;

namespace GpuCnn.Onnx.Import;

/// <summary>Conv, MaxPool, AveragePool and Pad: the windowed ops, whose 2-D attributes must fit our square kernels.
/// </summary>
internal static class ConvImport
{
    public static Node Conv(OnnxGraphReader r, NodeProto n)
    {
        var x = r.NodeInput(n, 0);
        var w = r.ConstInput(n, 1)!;
        var bias = r.ConstInput(n, 2);
        if (w.Dims.Length != 4)
        {
            throw r.Error(n, $"its weight '{w.Name}' has shape ({string.Join(", ", w.Dims)}); 2-D convolutions " +
                "(K, C/groups, R, S) are supported.");
        }

        var kernel = Square(r, n, n.Ints("kernel_shape") ?? [w.Dims[2], w.Dims[3]], "kernel_shape", 1);
        var stride = Square(r, n, n.Ints("strides"), "strides", 1);
        var dilation = Square(r, n, n.Ints("dilations"), "dilations", 1);
        var padding = n.Text("auto_pad", "NOTSET") switch
        {
            "NOTSET" or "" => Pads(r, n, n.Ints("pads") ?? [0, 0, 0, 0]),
            "VALID" => Padding2d.Valid,
            "SAME_UPPER" => Padding2d.Same,
            var other => throw r.Error(n, $"auto_pad {other} is not supported (NOTSET, VALID, SAME_UPPER are)."),
        };
        if (w.Dims[2] != kernel || w.Dims[3] != kernel)
        {
            throw r.Error(n, $"kernel_shape {kernel} does not match its weight ({string.Join(", ", w.Dims)}).");
        }

        var outChannels = (int)w.Dims[0];
        if (bias is not null && bias.Count != outChannels)
        {
            throw r.Error(n, $"its bias '{bias.Name}' holds {bias.Count} values for {outChannels} filters.");
        }

        var groups = n.Int("group", 1);
        if (groups < 1 || groups > outChannels)
        {
            throw r.Error(n, $"group {groups} is not between 1 and the {outChannels} filters.");
        }

        var name = r.NameFor(n, w);
        var node = r.Builder.Conv2d(x, outChannels, kernel, stride, padding, dilation, (int)groups, bias is not null,
            name);
        r.Tensor($"{name}.weight", OpImport.Floats(r, n, w));
        if (bias is not null)
        {
            r.Tensor($"{name}.bias", OpImport.Floats(r, n, bias));
        }

        return node;
    }

    public static Node Pool(OnnxGraphReader r, NodeProto n)
    {
        var x = r.NodeInput(n, 0);
        var max = n.OpType == "MaxPool";
        var kernel = Square(r, n, n.Ints("kernel_shape"), "kernel_shape", 0);
        var stride = Square(r, n, n.Ints("strides"), "strides", 1);
        if (Square(r, n, n.Ints("dilations"), "dilations", 1) != 1 || n.Int("storage_order", 0) != 0 ||
            n.Text("auto_pad", "NOTSET") is not ("NOTSET" or ""))
        {
            throw r.Error(n, "dilations, storage_order and auto_pad are not supported (only their defaults).");
        }

        var pads = n.Ints("pads") ?? [0, 0, 0, 0];
        if (pads.Length != 4 || pads.Distinct().Count() != 1 || pads[0] is < 0 or > int.MaxValue)
        {
            throw r.Error(n, $"pads ({string.Join(", ", pads)}) must be one amount on all four sides.");
        }

        var ceil = n.Int("ceil_mode", 0) != 0;
        var name = r.NameFor(n, null);
        return max
            ? r.Builder.MaxPool2d(x, kernel, stride, (int)pads[0], name, ceil)
            : r.Builder.AvgPool2d(x, kernel, stride, (int)pads[0], name, ceil, n.Int("count_include_pad", 0) != 0);
    }

    public static Node Pad(OnnxGraphReader r, NodeProto n)
    {
        var x = r.NodeInput(n, 0);
        var pads = r.ConstInput(n, 1)?.Longs ?? n.Ints("pads") ?? throw r.Error(n, "it has no pads.");
        if (pads.Length != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 ||
            pads.Any(p => p is < 0 or > int.MaxValue))
        {
            throw r.Error(n, $"pads ({string.Join(", ", pads)}) must pad only H and W of (N, C, H, W), by " +
                "non-negative amounts.");
        }

        var mode = n.Text("mode", "constant") switch
        {
            "constant" => PaddingMode.Constant,
            "reflect" => PaddingMode.Reflect,
            "edge" => PaddingMode.Replicate,
            "wrap" => PaddingMode.Circular,
            var other => throw r.Error(n, $"mode '{other}' is not supported."),
        };
        var value = r.ConstInput(n, 2) is { } v ? OpImport.Floats(r, n, v).Single() : 0f;
        return r.Builder.Pad2d(x, (int)pads[2], (int)pads[3], (int)pads[6], (int)pads[7],
            mode == PaddingMode.Constant && value == 0f ? PaddingMode.Zeros : mode, value, r.NameFor(n, null));
    }

    // One value for both axes: our kernels, strides and dilations are square.
    private static int Square(OnnxGraphReader r, NodeProto n, long[]? values, string attribute, int fallback)
    {
        if (values is null && fallback > 0)
        {
            return fallback;
        }

        if (values is not { Length: 2 } || values[0] != values[1] || values[0] is < 1 or > int.MaxValue)
        {
            throw r.Error(n, $"{attribute} ({string.Join(", ", values ?? [])}) must be two equal positive values " +
                "(square 2-D windows).");
        }

        return (int)values[0];
    }

    private static Padding2d Pads(OnnxGraphReader r, NodeProto n, long[] pads) =>
        pads.Length == 4 && pads.All(p => p is >= 0 and <= int.MaxValue)
            ? Padding2d.Explicit((int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3])
            : throw r.Error(n, $"pads ({string.Join(", ", pads)}) must be four non-negative amounts.");
}
