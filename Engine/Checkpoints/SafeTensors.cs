using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
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
    private static long maxHeaderBytes = 100L << 20;

    /// <summary>
    /// The largest JSON header read, in bytes (100 MiB unless set): a header is names and numbers, and a length
    /// beyond this is a corrupt file, refused before the header is allocated. At least 2.
    /// </summary>
    public static long MaxHeaderBytes
    {
        get => Volatile.Read(ref maxHeaderBytes);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 2);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Array.MaxLength);
            Volatile.Write(ref maxHeaderBytes, value);
        }
    }

    /// <summary>Writes tensors and string metadata to <paramref name="path"/> atomically (temporary file
    /// <c>.NAME.PID.tmp</c>, then rename), so an interrupted save never damages the previous file; temporary files of
    /// processes that died while writing to the same path are removed first.</summary>
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
        // A process killed while writing leaves its temporary file; the next write to the path clears it away.
        StaleTemporaryFiles.Remove(path);
        var temporary = StaleTemporaryFiles.For(path, Environment.ProcessId);
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
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file: the header's length runs
    /// past the file or over <see cref="MaxHeaderBytes"/>, the header is not a JSON object, an entry's dtype, shape
    /// or data_offsets is missing, mistyped or out of range, offsets leave the file, overlap or do not match the
    /// shape, or a name appears twice; the message names the file and the key.</exception>
    public static (List<NamedTensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        using var stream = File.OpenRead(path);
        var (entries, metadata) = ReadHeader(stream, path);
        var dataStart = stream.Position;
        var tensors = new List<NamedTensor>();
        foreach (var entry in entries)
        {
            // Offsets and sizes are checked against the file, so each array is no larger than the bytes there.
            var data = new float[entry.Count];
            stream.Position = dataStart + entry.Begin;
            if (entry.DType == "F32" && BitConverter.IsLittleEndian)
            {
                stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
            }
            else
            {
                var source = new byte[entry.End - entry.Begin];
                stream.ReadExactly(source);
                for (var i = 0; i < data.Length; i++)
                {
                    var at = source.AsSpan(i * entry.Width);
                    data[i] = entry.DType switch
                    {
                        "F32" => BinaryPrimitives.ReadSingleLittleEndian(at),
                        "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(at),
                        _ => BinaryPrimitives.ReadInt64LittleEndian(at),
                    };
                }
            }

            tensors.Add(new NamedTensor(entry.Name, entry.Shape, data));
        }

        return (tensors, metadata);
    }

    /// <summary>Reads only the header's metadata, leaving the tensor data unread; the header is checked whole, as
    /// <see cref="Read"/> checks it.</summary>
    /// <exception cref="InvalidDataException">The header is malformed; see <see cref="Read"/>.</exception>
    public static Dictionary<string, string> ReadMetadata(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path).Metadata;
    }

    // The 8-byte length and the JSON header; leaves the stream at the first byte of tensor data.
    private static (List<TensorEntry> Tensors, Dictionary<string, string> Metadata) ReadHeader(
        Stream stream, string path)
    {
        Span<byte> length = stackalloc byte[8];
        if (stream.ReadAtLeast(length, 8, throwOnEndOfStream: false) < 8)
        {
            throw Bad(path, $"the file is {stream.Length} bytes, shorter than the 8-byte header length");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(length);
        if (headerLength > (ulong)(stream.Length - 8))
        {
            throw Bad(path, $"the header length {headerLength} at offset 0 runs past the end of the file " +
                $"({stream.Length} bytes)");
        }

        if (headerLength > (ulong)MaxHeaderBytes)
        {
            throw Bad(path, $"the header length {headerLength} at offset 0 exceeds the limit of {MaxHeaderBytes} " +
                "bytes (SafeTensors.MaxHeaderBytes); raise that setting to read the file");
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        return SafeTensorsHeader.Parse(header, path, stream.Length - 8 - (long)headerLength);
    }

    private static InvalidDataException Bad(string path, string problem) => SafeTensorsHeader.Bad(path, problem);
}
