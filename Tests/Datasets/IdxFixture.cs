using System.Buffers.Binary;
using System.IO.Compression;

namespace GpuCnn.Tests.Datasets;

/// <summary>A scratch folder for crafted IDX files, deleted when the test ends.</summary>
internal sealed class IdxFixture : IDisposable
{
    public IdxFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "gpucnn-idx-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    /// <summary>The bytes of an image file: magic 0x803, then count, rows, columns, then the pixels.</summary>
    public static byte[] ImageFile(int count, int rows, int columns, byte[] pixels, int magic = 0x0803)
    {
        var bytes = new byte[16 + pixels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(0), magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        pixels.CopyTo(bytes, 16);
        return bytes;
    }

    /// <summary>The bytes of a label file: magic 0x801, then count, then the labels.</summary>
    public static byte[] LabelFile(byte[] labels, int? count = null, int magic = 0x0801)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(0), magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count ?? labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    public static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(content);
        }
        return buffer.ToArray();
    }

    public string Write(string name, byte[] content)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
