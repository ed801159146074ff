using System.Buffers.Binary;
using System.IO.Compression;

namespace GpuCnn.Datasets;

/// <summary>The pixels of an IDX image file: <c>Count</c> images of <c>Rows x Columns</c> unsigned bytes.</summary>
internal readonly record struct IdxImages(byte[] Pixels, int Count, int Rows, int Columns);

/// <summary>
/// Reads the IDX files MNIST is distributed in: a big-endian header (magic, then one int32 per dimension)
/// followed by the raw bytes. The file may be gzip-compressed; that is detected from its first bytes, because
/// files renamed by hand or by a download tool do not keep an honest extension.
/// </summary>
internal static class IdxReader
{
    /// <summary>Magic of an image file: unsigned bytes, three dimensions.</summary>
    public const int ImageMagic = 0x00000803;

    /// <summary>Magic of a label file: unsigned bytes, one dimension.</summary>
    public const int LabelMagic = 0x00000801;

    /// <summary>Largest image side accepted; anything bigger is a corrupt header, not an MNIST-like set.</summary>
    public const int MaxSide = 4096;

    // The first buffer for the data of a gzip file, grown by doubling as more arrives.
    private const int InitialGzipBuffer = 1 << 20;

    /// <summary>Largest label value accepted (MNIST digits).</summary>
    public const byte MaxLabel = 9;

    /// <summary>Reads and validates an image file.</summary>
    public static IdxImages ReadImages(string path)
    {
        using var source = Open(path);
        Span<byte> header = stackalloc byte[16];
        ReadHeader(source, header, ImageMagic, path);
        int count = ReadDimension(header, 4, "image count", int.MaxValue, path);
        int rows = ReadDimension(header, 8, "row count", MaxSide, path);
        int columns = ReadDimension(header, 12, "column count", MaxSide, path);
        long size = (long)count * rows * columns;
        if (size > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{path}: the header describes {count} images of {rows}x{columns} pixels ({size} bytes), " +
                "more than fits in memory; the header is probably corrupt.");
        }
        byte[] pixels = ReadBody(source, header.Length, (int)size, path);
        return new IdxImages(pixels, count, rows, columns);
    }

    /// <summary>Reads and validates a label file; every label must be a digit 0..9.</summary>
    public static byte[] ReadLabels(string path)
    {
        using var source = Open(path);
        Span<byte> header = stackalloc byte[8];
        ReadHeader(source, header, LabelMagic, path);
        int count = ReadDimension(header, 4, "label count", Array.MaxLength, path);
        byte[] labels = ReadBody(source, header.Length, count, path);
        int bad = labels.AsSpan().IndexOfAnyInRange((byte)(MaxLabel + 1), byte.MaxValue);
        if (bad >= 0)
        {
            throw new InvalidDataException(
                $"{path}: label {labels[bad]} of item {bad} (at offset {header.Length + bad}) is outside " +
                $"0..{MaxLabel}.");
        }
        return labels;
    }

    private static Stream Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            int read = file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
            file.Position = 0;
            if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            {
                return new GZipStream(file, CompressionMode.Decompress, leaveOpen: false);
            }
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static void ReadHeader(Stream source, Span<byte> header, int expectedMagic, string path)
    {
        int read = Fill(source, header, path);
        if (read < 4)
        {
            throw new InvalidDataException(
                $"{path}: the file ends at offset {read}{Where(source)}, before its 4-byte IDX magic number.");
        }
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
        {
            string kind = expectedMagic == ImageMagic ? "an image file" : "a label file";
            string hint = magic switch
            {
                ImageMagic => " That is the magic of an image file; are the image and label paths swapped?",
                LabelMagic => " That is the magic of a label file; are the image and label paths swapped?",
                _ => " The file is not an IDX file of unsigned bytes.",
            };
            throw new InvalidDataException(
                $"{path}: expected the IDX magic 0x{expectedMagic:X8} of {kind} at offset 0{Where(source)} " +
                $"but found 0x{magic:X8}.{hint}");
        }
        if (read < header.Length)
        {
            throw new InvalidDataException(
                $"{path}: expected a {header.Length}-byte IDX header but the file ends at offset {read}" +
                $"{Where(source)}.");
        }
    }

    private static int ReadDimension(ReadOnlySpan<byte> header, int offset, string what, int max, string path)
    {
        int value = BinaryPrimitives.ReadInt32BigEndian(header[offset..]);
        if (value <= 0 || value > max)
        {
            throw new InvalidDataException(
                $"{path}: the {what} at offset {offset} is {value}; it must be between 1 and {max}.");
        }
        return value;
    }

    private static byte[] ReadBody(Stream source, int headerLength, int size, string path)
    {
        long expected = (long)headerLength + size;
        if (source is FileStream file && file.Length < expected)
        {
            // Compared before allocating: a header may claim two gigabytes in a file of a few bytes.
            throw new InvalidDataException(
                $"{path}: expected {expected} bytes ({headerLength}-byte header and {size} bytes of data) " +
                $"but the file ends at offset {file.Length}.");
        }
        // A gzip stream's length is known only once inflated, so its buffer grows with the data actually read:
        // a header claiming more than the stream holds costs about twice what is there, not what it claims.
        var body = new byte[source is FileStream ? size : Math.Min(size, InitialGzipBuffer)];
        int read = 0;
        while (true)
        {
            read += Fill(source, body.AsSpan(read), path);
            if (read < body.Length)
            {
                throw new InvalidDataException(
                    $"{path}: expected {expected} bytes ({headerLength}-byte header and {size} bytes of data) " +
                    $"but the file ends at offset {headerLength + read}{Where(source)}.");
            }
            if (read == size)
            {
                break;
            }
            Array.Resize(ref body, (int)Math.Min(size, 2L * body.Length));
        }
        Span<byte> probe = stackalloc byte[1];
        if (Fill(source, probe, path) != 0)
        {
            throw new InvalidDataException(
                $"{path}: expected {expected} bytes as the header describes, but there is more data after " +
                $"offset {expected}{Where(source)}; the header's dimensions do not match the file.");
        }
        return body;
    }

    private static int Fill(Stream source, Span<byte> buffer, string path)
    {
        try
        {
            return source.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (source is GZipStream && ex is InvalidDataException or IOException)
        {
            // Both are the BCL's words for a corrupt stream (zlib's own errors are IOExceptions) and name no file.
            throw new InvalidDataException($"{path}: the gzip stream is corrupt ({ex.Message}).", ex);
        }
    }

    // Offsets in messages are positions in the IDX content; for a gzip file that is the decompressed stream.
    private static string Where(Stream source) => source is GZipStream ? " of the decompressed data" : "";
}
