using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Ops;
using GpuCnn.Onnx.Schema;

namespace GpuCnn.Onnx.Import;

/// <summary>One ONNX op to our nodes. Each method checks the attributes our node can honour and says which one it
/// cannot; weights become the node's parameters under the node's name.</summary>
internal static class OpImport
{
    /// <summary>The op types read, for the error about any other.</summary>
    public const string Supported = "Conv, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, LRN, Gemm, " +
        "MatMul (+ Add of a bias), Add, Concat, Flatten, Reshape (to (batch, -1)), Dropout, Identity, Constant, Relu, " +
        "LeakyRelu, Tanh, Sigmoid, Softmax, LogSoftmax, Gelu, Mul (x * Sigmoid(x) and the exact GELU), Pad, Resize " +
        "(nearest, integer scales)";

    public static Operand Convert(OnnxGraphReader r, NodeProto n)
    {
        if (n.Domain is not ("" or "ai.onnx"))
        {
            throw r.Error(n, $"ops of domain '{n.Domain}' are not supported; the importer reads {Supported}.");
        }

        try
        {
            return ConvertChecked(r, n);
        }
        catch (Exception e) when (e is GraphException or ArgumentException)
        {
            // The builder's own checks (a non-positive size, a non-finite slope) about this node's attributes.
            throw r.Error(n, e.Message);
        }
    }

    private static Operand ConvertChecked(OnnxGraphReader r, NodeProto n)
    {
        var g = r.Builder;
        return n.OpType switch
        {
            "Constant" => new Operand(null, r.ConstantValue(n)),
            "Identity" => r.Resolve(n.Input[0], n),
            "Conv" => Op(ConvImport.Conv(r, n)),
            "MaxPool" or "AveragePool" => Op(ConvImport.Pool(r, n)),
            "Pad" => Op(ConvImport.Pad(r, n)),
            "GlobalAveragePool" => Op(g.GlobalAvgPool2d(r.NodeInput(n, 0), r.NameFor(n, null))),
            "BatchNormalization" => Op(BatchNorm(r, n)),
            "LRN" => Op(Lrn(r, n)),
            "Gemm" => Op(Gemm(r, n)),
            "MatMul" => Op(Linear(r, n, n, null)),
            "Add" => Op(Add(r, n)),
            "Mul" => Op(HeadImport.Mul(r, n)),
            "Concat" => Op(Concat(r, n)),
            "Flatten" or "Reshape" => Op(HeadImport.Flatten(r, n)),
            "Dropout" => Op(HeadImport.Dropout(r, n)),
            "Relu" => Op(g.Relu(r.NodeInput(n, 0), r.NameFor(n, null))),
            "Tanh" => Op(g.Tanh(r.NodeInput(n, 0), r.NameFor(n, null))),
            "Sigmoid" => Op(g.Sigmoid(r.NodeInput(n, 0), r.NameFor(n, null))),
            "LeakyRelu" => Op(g.LeakyRelu(r.NodeInput(n, 0), n.Float("alpha", 0.01f), r.NameFor(n, null))),
            "Gelu" => Op(HeadImport.Gelu(r, n)),
            "Softmax" or "LogSoftmax" => Op(HeadImport.Softmax(r, n)),
            "Resize" => Op(HeadImport.Resize(r, n)),
            _ => throw r.Error(n, $"op type '{n.OpType}' is not supported; the importer reads {Supported}."),
        };
    }

    private static Operand Op(Node node) => new(node, null);

    /// <summary>Floats of a constant, or the node's error.</summary>
    public static float[] Floats(OnnxGraphReader r, NodeProto n, OnnxTensor t) =>
        t.Floats ?? throw r.Error(n, $"its tensor '{t.Name}' holds integers where floats are needed.");

    private static Node BatchNorm(OnnxGraphReader r, NodeProto n)
    {
        var x = r.NodeInput(n, 0);
        var tensors = Enumerable.Range(1, 4).Select(i => r.ConstInput(n, i) ?? throw r.Error(n,
            $"its input {i} is missing.")).ToArray();
        var channels = tensors[0].Count;
        if (tensors.Any(t => t.Count != channels || t.Dims.Length != 1))
        {
            throw r.Error(n, "scale, bias, mean and variance must be vectors of one length, got " +
                $"{string.Join(", ", tensors.Select(t => $"({string.Join(", ", t.Dims)})"))}.");
        }

        if (n.Int("training_mode", 0) != 0)
        {
            throw r.Error(n, "training_mode=1 is not supported; export the model in evaluation mode.");
        }

        var momentum = 1f - n.Float("momentum", 0.9f);
        // The exporter's stand-ins for a batch norm without affine parameters come back as one.
        var plain = tensors[0].Name.EndsWith(".unit_scale", StringComparison.Ordinal) &&
            tensors[1].Name.EndsWith(".zero_shift", StringComparison.Ordinal) &&
            tensors[0].Floats is { } ones && ones.All(v => v == 1f) && tensors[1].Floats is { } zeros &&
            zeros.All(v => v == 0f);
        var name = r.NameFor(n, plain ? tensors[0] with { Name = tensors[0].Name[..^11] + ".weight" } : tensors[0]);
        var node = r.Builder.BatchNorm2d(x, n.Float("epsilon", 1e-5f), Math.Clamp(momentum, 0f, 1f), !plain, name);
        string[] suffixes = ["weight", "bias", "running_mean", "running_var"];
        for (var i = plain ? 2 : 0; i < 4; i++)
        {
            r.Tensor($"{name}.{suffixes[i]}", Floats(r, n, tensors[i]));
        }

        return node;
    }

    private static Node Lrn(OnnxGraphReader r, NodeProto n)
    {
        var size = n.Int("size", 0);
        if (size < 1 || size % 2 == 0 || size > int.MaxValue)
        {
            throw r.Error(n, $"size {size} is not supported: ONNX centres an even window one channel later than " +
                "this engine, so only odd sizes mean the same.");
        }

        return r.Builder.LocalResponseNorm(r.NodeInput(n, 0), (int)size, n.Float("alpha", 1e-4f),
            n.Float("beta", 0.75f), n.Float("bias", 1f), r.NameFor(n, null));
    }

    private static Node Gemm(OnnxGraphReader r, NodeProto n)
    {
        if (n.Int("transA", 0) != 0 || n.Float("alpha", 1f) != 1f || n.Float("beta", 1f) != 1f)
        {
            throw r.Error(n, "only transA=0, alpha=1 and beta=1 are supported (a dense layer).");
        }

        return Linear(r, n, n, r.ConstInput(n, 2), transposed: n.Int("transB", 0) != 0);
    }

    // A dense layer from Gemm or MatMul (weight (in, out) unless transposed) with an optional bias.
    private static Node Linear(OnnxGraphReader r, NodeProto at, NodeProto n, OnnxTensor? bias, bool transposed = false)
    {
        var x = r.NodeInput(n, 0);
        var w = r.ConstInput(n, 1)!;
        if (w.Dims.Length != 2)
        {
            throw r.Error(n, $"its weight '{w.Name}' has shape ({string.Join(", ", w.Dims)}); a matrix is needed.");
        }

        var (rows, cols) = ((int)w.Dims[0], (int)w.Dims[1]);
        var outFeatures = transposed ? rows : cols;
        var data = Floats(r, n, w);
        if (!transposed)
        {
            // Our weight is (out, in), PyTorch's layout.
            var t = new float[data.Length];
            for (var i = 0; i < rows; i++)
            {
                for (var j = 0; j < cols; j++)
                {
                    t[j * rows + i] = data[i * cols + j];
                }
            }

            data = t;
        }

        if (bias is not null && bias.Count != outFeatures)
        {
            throw r.Error(at, $"its bias '{bias.Name}' holds {bias.Count} values for {outFeatures} outputs.");
        }

        var name = r.NameFor(at, w);
        var node = r.Builder.Linear(x, outFeatures, bias is not null, name);
        r.Tensor($"{name}.weight", data);
        if (bias is not null)
        {
            r.Tensor($"{name}.bias", Floats(r, at, bias));
        }

        return node;
    }

    private static Node Add(OnnxGraphReader r, NodeProto n)
    {
        var constants = n.Input.Select(i => r.Producer(i) is null && i.Length > 0 ? r.Resolve(i, n).Constant : null)
            .ToArray();
        var constant = Array.FindIndex(constants, c => c is not null);
        if (constant < 0)
        {
            return r.Builder.Add(r.NodeInput(n, 0), r.NodeInput(n, 1), r.NameFor(n, null));
        }

        // x @ W + b, as PyTorch writes a Linear layer it does not fuse into a Gemm.
        if (r.Producer(n.Input[1 - constant]) is { OpType: "MatMul" } matmul && r.ConstInput(matmul, 1) is not null)
        {
            return Linear(r, n, matmul, constants[constant]);
        }

        throw r.Error(n, "adding a constant is supported only as the bias after a MatMul.");
    }

    private static Node Concat(OnnxGraphReader r, NodeProto n)
    {
        var axis = n.Int("axis", 1);
        if (axis is not (1 or -3))
        {
            throw r.Error(n, $"axis {axis} is not supported; only channels (axis 1 of (N, C, H, W)) are joined.");
        }

        return r.Builder.Concat([.. Enumerable.Range(0, n.Input.Count).Select(i => r.NodeInput(n, i))],
            r.NameFor(n, null));
    }
}
