using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;
using static GpuCnn.Onnx.Export.OnnxGraphWriter;

namespace GpuCnn.Onnx.Export;

/// <summary>Convolutions and explicit padding: ONNX's Conv pads with zeros only, so any other padding mode becomes
/// a Pad (or, where Pad has no such mode, an exact Slice/Concat chain) before an unpadded Conv, as the node itself
/// runs it.</summary>
internal static class ConvExport
{
    /// <summary>Writes a convolution, its padding step first when the mode is not zeros.</summary>
    public static void Conv(OnnxGraphWriter w, Conv2dNode conv)
    {
        var x = NodeExport.In(conv);
        if (conv.PadGeometry is { } pad)
        {
            x = $"{conv.Name}/padded";
            Pad(w, conv, NodeExport.In(conv), pad, x);
        }

        var g = conv.Geometry;
        var weight = NodeExport.Weights(w, conv.Parameters[0]);
        string[] inputs = conv.HasBias ? [x, weight, NodeExport.Weights(w, conv.Parameters[1])] : [x, weight];
        w.Node("Conv", conv.Name, inputs, conv.Name,
            Ints("kernel_shape", conv.KernelH, conv.KernelW), Ints("strides", conv.StrideH, conv.StrideW),
            Ints("pads", g.PadTop, g.PadLeft, g.PadBottom, g.PadRight),
            Ints("dilations", conv.DilationH, conv.DilationW), Int("group", conv.Groups));
    }

    /// <summary>Pads <paramref name="x"/> as <paramref name="g"/> says into value <paramref name="output"/>.</summary>
    public static void Pad(OnnxGraphWriter w, Node node, string x, Pad2dGeometry g, string output)
    {
        var mode = g.Mode switch
        {
            PaddingMode.Zeros or PaddingMode.Constant => "constant",
            PaddingMode.Replicate => "edge",
            PaddingMode.Reflect => "reflect",
            PaddingMode.Circular when w.Opset >= 19 => "wrap",
            _ => null,
        };
        if (mode is null)
        {
            // Symmetric padding has no Pad mode, and wrap arrived in opset 19: both are slices of the input put
            // beside it, one axis after the other (so the corners come out as the two-axis padding makes them).
            SlicePad(w, node, x, g, output);
            return;
        }

        var pads = w.Int64s($"{node.Name}.pads", 0, 0, g.Top, g.Left, 0, 0, g.Bottom, g.Right);
        string[] inputs = mode == "constant" ? [x, pads, w.Scalar($"{node.Name}.pad_value", g.Value)] : [x, pads];
        w.Node("Pad", output == node.Name ? node.Name : $"{node.Name}/pad", inputs, output, Text("mode", mode));
    }

    private static void SlicePad(OnnxGraphWriter w, Node node, string x, Pad2dGeometry g, string output)
    {
        var symmetric = g.Mode == PaddingMode.Symmetric;
        if (!symmetric && g.Mode != PaddingMode.Circular)
        {
            throw NodeExport.Refused(node, $"ONNX has no padding mode for {g.Mode}.");
        }

        var wide = g.Top + g.Bottom > 0 ? $"{node.Name}/wide" : output;
        var widened = g.Left + g.Right > 0 ? AlongAxis(w, node, x, 3, g.W, g.Left, g.Right, symmetric, wide) : x;
        if (g.Top + g.Bottom > 0)
        {
            AlongAxis(w, node, widened, 2, g.H, g.Top, g.Bottom, symmetric, output);
        }
        else if (widened != output)
        {
            w.Node("Identity", node.Name, [widened], output);
        }
    }

    // Concat(before, x, after) along one axis of extent n: circular takes the last `before` and the first `after`
    // entries, symmetric the first `before` and the last `after` reversed (Slice with step -1).
    private static string AlongAxis(OnnxGraphWriter w, Node node, string x, int axis, int n, int before, int after,
        bool symmetric, string output)
    {
        var tag = $"{node.Name}/{(axis == 2 ? "rows" : "cols")}";
        var parts = new List<string>();
        if (before > 0)
        {
            parts.Add(symmetric
                ? Slice(w, $"{tag}_before", x, before - 1, long.MinValue, axis, -1)
                : Slice(w, $"{tag}_before", x, n - before, n, axis, 1));
        }

        parts.Add(x);
        if (after > 0)
        {
            parts.Add(symmetric
                ? Slice(w, $"{tag}_after", x, n - 1, n - 1 - after >= 0 ? n - 1 - after : long.MinValue, axis, -1)
                : Slice(w, $"{tag}_after", x, 0, after, axis, 1));
        }

        w.Node("Concat", output == node.Name ? node.Name : tag, [.. parts], output, Int("axis", axis));
        return output;
    }

    private static string Slice(OnnxGraphWriter w, string name, string x, long start, long end, int axis, long step)
    {
        w.Node("Slice", name, [x, w.Int64s($"{name}.starts", start), w.Int64s($"{name}.ends", end),
            w.Int64s($"{name}.axes", axis), w.Int64s($"{name}.steps", step)], name);
        return name;
    }
}
