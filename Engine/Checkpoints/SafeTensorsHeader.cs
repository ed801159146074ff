using System.Text.Json;
using System.Text.Unicode;

namespace GpuCnn.Engine.Checkpoints;

/// <summary>One tensor's entry in a safetensors header, checked against the file.</summary>
/// <param name="Name">The tensor's name, the header's key.</param>
/// <param name="DType">F32, F64 or I64.</param>
/// <param name="Width">Bytes per element of <paramref name="DType"/>.</param>
/// <param name="Shape">Dimensions, each at least 0.</param>
/// <param name="Count">Elements, the product of <paramref name="Shape"/>.</param>
/// <param name="Begin">First byte, counted from the start of the data.</param>
/// <param name="End">One past the last byte.</param>
internal sealed record TensorEntry(string Name, string DType, int Width, int[] Shape, long Count, long Begin, long End);

/// <summary>
/// Parses and checks the JSON header of a safetensors file: every entry has a known dtype, a shape of non-negative
/// integers whose product fits an array, and two integer data offsets inside the data that span exactly the shape's
/// bytes and overlap no other tensor; names are unique; the metadata maps names to strings. Each failure names the
/// file and the key.
/// </summary>
internal static class SafeTensorsHeader
{
    /// <summary>The key of the string-to-string metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The tensor entries in the header's order, and the metadata.</summary>
    /// <param name="json">The header bytes.</param>
    /// <param name="path">The file, for messages.</param>
    /// <param name="dataLength">Bytes of data after the header.</param>
    public static (List<TensorEntry> Tensors, Dictionary<string, string> Metadata) Parse(
        byte[] json, string path, long dataLength)
    {
        // The parser accepts bad UTF-8 inside strings and fails only when a name is read; refuse it here.
        if (!Utf8.IsValid(json))
        {
            throw Bad(path, "the JSON header (offset 8) is not valid UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Bad(path, $"the JSON header (offset 8) does not parse: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(path, $"the JSON header (offset 8) is {Describe(root)}, not an object of tensors");
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            var tensors = new List<TensorEntry>();
            var metadata = new Dictionary<string, string>();
            foreach (var property in root.EnumerateObject())
            {
                if (!names.Add(property.Name))
                {
                    throw Bad(path, $"the header names '{property.Name}' twice");
                }

                if (property.Name == MetadataKey)
                {
                    ReadMetadata(property.Value, path, metadata);
                }
                else
                {
                    tensors.Add(ReadEntry(property.Name, property.Value, path, dataLength));
                }
            }

            CheckOverlaps(tensors, path);
            return (tensors, metadata);
        }
    }

    private static TensorEntry ReadEntry(string name, JsonElement entry, string path, long dataLength)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw Bad(path, $"tensor '{name}' is described by {Describe(entry)}, not an object with dtype, shape " +
                "and data_offsets");
        }

        var dtype = Field(entry, name, "dtype", JsonValueKind.String, path).GetString()!;
        var width = dtype switch
        {
            "F32" => 4,
            "F64" or "I64" => 8,
            _ => throw Bad(path, $"tensor '{name}' is {dtype}; F32 is read, and F64 and I64 (such as PyTorch's " +
                "num_batches_tracked) are converted to F32"),
        };

        var shapeNode = Field(entry, name, "shape", JsonValueKind.Array, path);
        var shape = new int[shapeNode.GetArrayLength()];
        var count = 1L;
        var index = 0;
        foreach (var d in shapeNode.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out var dim) || dim < 0)
            {
                throw Bad(path, $"tensor '{name}': shape[{index}] is {Describe(d)}; a dimension is an integer " +
                    $"from 0 to {int.MaxValue}");
            }

            shape[index++] = dim;
            // Stop at the largest array rather than overflow: such a shape cannot fit the file anyway.
            count = dim == 0 || count == 0 ? 0 : count > Array.MaxLength / dim ? Array.MaxLength + 1L : count * dim;
        }

        if (count > Array.MaxLength)
        {
            throw Bad(path, $"tensor '{name}' has shape ({string.Join(", ", shape)}), more than {Array.MaxLength} " +
                "elements");
        }

        var offsets = Field(entry, name, "data_offsets", JsonValueKind.Array, path);
        if (offsets.GetArrayLength() != 2 || offsets.EnumerateArray().Any(o =>
            o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out var v) || v < 0))
        {
            throw Bad(path, $"tensor '{name}': data_offsets is {offsets.GetRawText()}; it must be two integers " +
                "[begin, end] from 0 to the data's length");
        }

        long begin = offsets[0].GetInt64(), end = offsets[1].GetInt64();
        if (begin > end || end > dataLength || end - begin != count * width)
        {
            throw Bad(path, $"tensor '{name}' ({dtype}) of shape ({string.Join(", ", shape)}) needs " +
                $"{count * width} bytes but claims bytes [{begin}, {end}) of the data, which " +
                (begin > end ? "run backwards" : end > dataLength
                    ? $"does not fit the file ({dataLength} bytes of data)" : "is another size"));
        }

        return new TensorEntry(name, dtype, width, shape, count, begin, end);
    }

    private static JsonElement Field(JsonElement entry, string name, string key, JsonValueKind kind, string path)
    {
        if (!entry.TryGetProperty(key, out var value) || value.ValueKind != kind)
        {
            var found = entry.TryGetProperty(key, out value) ? Describe(value) : "missing";
            throw Bad(path, $"tensor '{name}': {key} is {found}; it must be {(kind == JsonValueKind.String
                ? "a string" : "an array")}");
        }

        return value;
    }

    private static void ReadMetadata(JsonElement node, string path, Dictionary<string, string> metadata)
    {
        if (node.ValueKind != JsonValueKind.Object)
        {
            throw Bad(path, $"{MetadataKey} is {Describe(node)}, not an object of strings");
        }

        foreach (var property in node.EnumerateObject())
        {
            metadata[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.Null => "",
                _ => throw Bad(path, $"{MetadataKey} entry '{property.Name}' is {Describe(property.Value)}; " +
                    "metadata values are strings"),
            };
        }
    }

    // Each byte of the data belongs to at most one tensor; overlapping ranges would load one tensor's bytes twice.
    private static void CheckOverlaps(List<TensorEntry> tensors, string path)
    {
        TensorEntry? previous = null;
        foreach (var t in tensors.Where(t => t.End > t.Begin).OrderBy(t => t.Begin))
        {
            if (previous is not null && t.Begin < previous.End)
            {
                throw Bad(path, $"tensors '{previous.Name}' (bytes [{previous.Begin}, {previous.End})) and " +
                    $"'{t.Name}' (bytes [{t.Begin}, {t.End})) overlap");
            }

            previous = t;
        }
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        _ => Clip(e.GetRawText()),
    };

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "...";

    /// <summary>The error for a malformed file: its path, then the problem.</summary>
    public static InvalidDataException Bad(string path, string problem) =>
        new($"{path}: not a valid safetensors file: {problem}.");
}
