using GpuCnn.Onnx.Schema;

namespace GpuCnn.Onnx.Import;

/// <summary>Typed access to a node's attributes, with the ONNX defaults given by the caller.</summary>
internal static class Attributes
{
    public static long Int(this NodeProto n, string name, long fallback) =>
        Find(n, name) is { } a ? a.I : fallback;

    public static float Float(this NodeProto n, string name, float fallback) =>
        Find(n, name) is { } a ? a.F : fallback;

    public static string Text(this NodeProto n, string name, string fallback) =>
        Find(n, name) is { } a ? TensorDecoder.Text(a) : fallback;

    public static long[]? Ints(this NodeProto n, string name) => Find(n, name) is { } a ? [.. a.Ints] : null;

    private static AttributeProto? Find(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name);
}
