using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GpuCnn.Engine.Checkpoints;

/// <summary>One float32 tensor of a safetensors file.</summary>
public sealed record NamedTensor(string Name, int[] Shape, float[] Data);

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each name to its dtype,
/// shape and byte range, then the raw little-endian data. PyTorch's <c>safetensors.torch</c> reads and writes it.
/// </summary>
public static class SafeTensors
{
    private const long MaxHeaderBytes = 100L << 20;

    /// <summary>Writes tensors and string metadata to <paramref name="path"/> atomically (temporary file, then
    /// rename), so an interrupted save never damages the previous file.</summary>
    public static void Write(
        string path, IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var list = tensors.ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata)
            {
                meta[key] = value;
            }

            header["__metadata__"] = meta;
        }

        long offset = 0;
        foreach (var t in list)
        {
            var expected = t.Shape.Aggregate(1L, (a, b) => a * b);
            if (expected != t.Data.Length)
            {
                throw new ArgumentException(
                    $"Tensor '{t.Name}' has shape ({string.Join(", ", t.Shape)}) but {t.Data.Length} values.");
            }

            var bytes = (long)t.Data.Length * sizeof(float);
            header[t.Name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }

        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // The data should start 8-byte aligned; pad the header with spaces as the format allows.
        var padded = (json.Length + 7) / 8 * 8;
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
                stream.Write(length);
                stream.Write(json);
                for (var i = json.Length; i < padded; i++)
                {
                    stream.WriteByte((byte)' ');
                }

                foreach (var t in list)
                {
                    if (BitConverter.IsLittleEndian)
                    {
                        stream.Write(MemoryMarshal.AsBytes(t.Data.AsSpan()));
                    }
                    else
                    {
                        var four = new byte[4];
                        foreach (var v in t.Data)
                        {
                            BinaryPrimitives.WriteSingleLittleEndian(four, v);
                            stream.Write(four);
                        }
                    }
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Reads every tensor and the metadata; a malformed file is an error naming the file and what is
    /// wrong with it.</summary>
    public static (List<NamedTensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        using var stream = File.OpenRead(path);
        var header = ReadHeader(stream, path);
        var dataStart = stream.Position;
        var bytes = new byte[stream.Length - dataStart];
        stream.ReadExactly(bytes);
        var tensors = new List<NamedTensor>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                continue;
            }

            var entry = node?.AsObject() ?? throw Bad(path, $"tensor '{name}' has no description");
            var dtype = entry["dtype"]?.GetValue<string>();
            var width = dtype switch
            {
                "F32" => 4,
                "F64" or "I64" => 8,
                _ => throw Bad(path, $"tensor '{name}' is {dtype}; F32 is read, and F64 and I64 (such as PyTorch's " +
                    "num_batches_tracked) are converted to F32"),
            };

            var shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
            var offsets = entry["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var count = shape.Aggregate(1L, (a, b) => a * b);
            if (offsets.Length != 2 || offsets[1] - offsets[0] != count * width ||
                offsets[1] > bytes.Length || offsets[0] < 0)
            {
                throw Bad(path, $"tensor '{name}' ({dtype}) of shape ({string.Join(", ", shape)}) claims bytes " +
                    $"[{string.Join(", ", offsets)}) after offset {dataStart}, which does not fit the file " +
                    $"({stream.Length} bytes)");
            }

            var data = new float[count];
            var source = bytes.AsSpan((int)offsets[0], (int)(count * width));
            if (dtype == "F32" && BitConverter.IsLittleEndian)
            {
                source.CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
            }
            else
            {
                for (var i = 0; i < data.Length; i++)
                {
                    var at = source[(i * width)..];
                    data[i] = dtype switch
                    {
                        "F32" => BinaryPrimitives.ReadSingleLittleEndian(at),
                        "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(at),
                        _ => BinaryPrimitives.ReadInt64LittleEndian(at),
                    };
                }
            }

            tensors.Add(new NamedTensor(name, shape, data));
        }

        return (tensors, Metadata(header));
    }

    /// <summary>Reads only the header's metadata, leaving the tensor data unread.</summary>
    public static Dictionary<string, string> ReadMetadata(string path)
    {
        using var stream = File.OpenRead(path);
        return Metadata(ReadHeader(stream, path));
    }

    // The 8-byte length and the JSON header; leaves the stream at the first byte of tensor data.
    private static JsonObject ReadHeader(Stream stream, string path)
    {
        Span<byte> length = stackalloc byte[8];
        if (stream.ReadAtLeast(length, 8, throwOnEndOfStream: false) < 8)
        {
            throw Bad(path, $"the file is {stream.Length} bytes, shorter than the 8-byte header length");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(length);
        if (headerLength > MaxHeaderBytes || 8 + (long)headerLength > stream.Length)
        {
            throw Bad(path, $"the header length {headerLength} at offset 0 runs past the end of the file " +
                $"({stream.Length} bytes)");
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        try
        {
            return JsonNode.Parse(header)?.AsObject() ?? throw Bad(path, "the header is not a JSON object");
        }
        catch (JsonException e)
        {
            throw Bad(path, $"the JSON header (offset 8) does not parse: {e.Message}");
        }
    }

    private static Dictionary<string, string> Metadata(JsonObject header)
    {
        var metadata = new Dictionary<string, string>();
        if (header["__metadata__"] is JsonObject meta)
        {
            foreach (var (key, value) in meta)
            {
                metadata[key] = value?.GetValue<string>() ?? "";
            }
        }

        return metadata;
    }

    private static InvalidDataException Bad(string path, string problem) =>
        new($"{path}: not a valid safetensors file: {problem}.");
}
