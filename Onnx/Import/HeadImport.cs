using GpuCnn.Engine;
using GpuCnn.Onnx.Schema;

namespace GpuCnn.Onnx.Import;

/// <summary>The element-wise and shape ops: activations written as ONNX subgraphs (SiLU, the exact GELU),
/// Flatten/Reshape, Dropout, Softmax and nearest Resize.</summary>
internal static class HeadImport
{
    /// <summary>x * Sigmoid(x) is SiLU; (x * (Erf(x / sqrt 2) + 1)) * 0.5 is GELU; other products are refused.
    /// </summary>
    public static Node Mul(OnnxGraphReader r, NodeProto n)
    {
        if (n.Input.Count == 2)
        {
            for (var side = 0; side < 2; side++)
            {
                var (a, b) = (n.Input[side], n.Input[1 - side]);
                if (r.Producer(b) is { OpType: "Sigmoid" } sigmoid && sigmoid.Input[0] == a)
                {
                    return r.Builder.Silu(r.Resolve(a, n).Node ?? throw r.Error(n, "SiLU of a constant."),
                        r.NameFor(n, null));
                }

                if (IsScalar(r, n, b, 0.5f) && r.Producer(a) is { OpType: "Mul" } inner && GeluInput(r, inner) is { } x)
                {
                    return r.Builder.Gelu(r.Resolve(x, n).Node ?? throw r.Error(n, "GELU of a constant."),
                        r.NameFor(n, null));
                }
            }
        }

        throw r.Error(n, "a product is supported only as x * Sigmoid(x) (SiLU) or in the exact GELU " +
            "x * (Erf(x / sqrt(2)) + 1) * 0.5.");
    }

    // The x of x * (Erf(x / sqrt 2) + 1), or null.
    private static string? GeluInput(OnnxGraphReader r, NodeProto mul)
    {
        for (var side = 0; side < 2; side++)
        {
            var (x, sum) = (mul.Input[side], mul.Input[1 - side]);
            if (r.Producer(sum) is { OpType: "Add" } add && add.Input.Count == 2)
            {
                for (var s = 0; s < 2; s++)
                {
                    if (IsScalar(r, add, add.Input[1 - s], 1f) && r.Producer(add.Input[s]) is { OpType: "Erf" } erf &&
                        r.Producer(erf.Input[0]) is { OpType: "Div" } div && div.Input[0] == x &&
                        IsScalar(r, div, div.Input[1], MathF.Sqrt(2f)))
                    {
                        return x;
                    }
                }
            }
        }

        return null;
    }

    private static bool IsScalar(OnnxGraphReader r, NodeProto n, string value, float expected)
    {
        var producer = r.Producer(value);
        if (producer is not null && producer.OpType != "Constant")
        {
            return false;
        }

        return r.Resolve(value, n).Constant is { Floats: { Length: 1 } f } && Math.Abs(f[0] - expected) <= 1e-6f;
    }

    public static Node Gelu(OnnxGraphReader r, NodeProto n) => n.Text("approximate", "none") == "none"
        ? r.Builder.Gelu(r.NodeInput(n, 0), r.NameFor(n, null))
        : throw r.Error(n, "only the exact GELU (approximate='none') is supported.");

    public static Node Flatten(OnnxGraphReader r, NodeProto n)
    {
        var x = r.NodeInput(n, 0);
        if (n.OpType == "Flatten" && n.Int("axis", 1) != 1)
        {
            throw r.Error(n, $"axis {n.Int("axis", 1)} is not supported; only Flatten(axis=1) keeps the batch.");
        }

        if (n.OpType == "Reshape")
        {
            var target = r.ConstInput(n, 1)?.Longs;
            if (target is not { Length: 2 } || target[0] is not (0 or -1) && target[1] != -1)
            {
                throw r.Error(n, $"reshaping to ({string.Join(", ", target ?? [])}) is not supported; only " +
                    "(batch, -1), a flatten, is.");
            }
        }

        return r.Builder.Flatten(x, r.NameFor(n, null));
    }

    public static Node Dropout(OnnxGraphReader r, NodeProto n)
    {
        var ratio = r.Opset >= 12
            ? r.ConstInput(n, 1) is { } t ? OpImport.Floats(r, n, t).Single() : 0.5f
            : n.Float("ratio", 0.5f);
        return ratio is >= 0f and < 1f
            ? r.Builder.Dropout(r.NodeInput(n, 0), ratio, r.NameFor(n, null))
            : throw r.Error(n, $"ratio {ratio} is not in [0, 1).");
    }

    public static Node Softmax(OnnxGraphReader r, NodeProto n)
    {
        var axis = n.Int("axis", r.Opset >= 13 ? -1 : 1);
        if (axis is not (1 or -1))
        {
            throw r.Error(n, $"axis {axis} is not supported; the classes of a (batch, F) input (axis 1) are.");
        }

        var x = r.NodeInput(n, 0);
        return n.OpType == "Softmax"
            ? r.Builder.Softmax(x, r.NameFor(n, null))
            : r.Builder.LogSoftmax(x, r.NameFor(n, null));
    }

    public static Node Resize(OnnxGraphReader r, NodeProto n)
    {
        var x = r.NodeInput(n, 0);
        var mode = n.Text("mode", "nearest");
        var transform = n.Text("coordinate_transformation_mode", "half_pixel");
        var rounding = n.Text("nearest_mode", "round_prefer_floor");
        if (mode != "nearest" || transform != "asymmetric" || rounding != "floor")
        {
            throw r.Error(n, $"mode {mode}, coordinate_transformation_mode {transform}, nearest_mode {rounding}: " +
                "only nearest, asymmetric, floor (PyTorch's nearest upsampling) is supported.");
        }

        var scales = r.ConstInput(n, 2)?.Floats;
        if (scales is not { Length: 4 } || scales[0] != 1f || scales[1] != 1f ||
            scales.Skip(2).Any(s => s < 1f || s != MathF.Floor(s) || s > 1024f))
        {
            throw r.Error(n, "only constant integer scales (1, 1, sh, sw) are supported (not sizes).");
        }

        return r.Builder.Upsample2d(x, (int)scales[2], (int)scales[3], r.NameFor(n, null));
    }
}
