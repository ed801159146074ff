using System.Buffers.Binary;
using System.IO.Compression;

namespace GpuCnn.Datasets.Imaging;

/// <summary>Writes an <see cref="Image"/> as an 8-bit, non-interlaced PNG: IHDR, one IDAT, IEND.</summary>
internal static class PngEncoder
{
    public static byte[] Encode(Image image)
    {
        byte colour = image.Channels switch
        {
            1 => Png.Grey,
            2 => Png.GreyAlpha,
            3 => Png.Rgb,
            _ => Png.Rgba,
        };
        using var file = new MemoryStream();
        file.Write(Png.Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], image.Height);
        header[8] = 8;
        header[9] = colour;
        // header[10..13]: deflate compression, adaptive filtering, no interlace; all zero.
        WriteChunk(file, "IHDR", header);
        WriteChunk(file, "IDAT", Compress(Filter(image)));
        WriteChunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>
    /// Filters every row with whichever of the five filters gives the smallest sum of absolute values when its
    /// bytes are read as signed: the rule of thumb libpng uses, since small residuals compress best.
    /// </summary>
    private static byte[] Filter(Image image)
    {
        int stride = image.Width * image.Channels, bpp = image.Channels;
        var output = new byte[image.Height * (stride + 1)];
        var candidate = new byte[stride];
        var zeros = new byte[stride];
        for (int y = 0; y < image.Height; y++)
        {
            ReadOnlySpan<byte> row = image.Row(y);
            ReadOnlySpan<byte> previous = y == 0 ? zeros : image.Row(y - 1);
            Span<byte> target = output.AsSpan(y * (stride + 1), stride + 1);
            long best = long.MaxValue;
            for (int filter = 0; filter <= 4; filter++)
            {
                long cost = 0;
                for (int i = 0; i < stride; i++)
                {
                    byte residual = (byte)(row[i] - Png.Predict(filter, row, previous, i, bpp));
                    candidate[i] = residual;
                    cost += Math.Abs((int)(sbyte)residual);
                }
                if (cost < best)
                {
                    best = cost;
                    target[0] = (byte)filter;
                    candidate.CopyTo(target[1..]);
                }
            }
        }
        return output;
    }

    private static byte[] Compress(byte[] filtered)
    {
        using var buffer = new MemoryStream();
        using (var zlib = new ZLibStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(filtered);
        }
        return buffer.ToArray();
    }

    private static void WriteChunk(Stream file, string type, ReadOnlySpan<byte> body)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, body.Length);
        file.Write(word);
        Span<byte> name = stackalloc byte[4];
        for (int i = 0; i < 4; i++)
        {
            name[i] = (byte)type[i];
        }
        file.Write(name);
        file.Write(body);
        uint crc = Crc32.Append(Crc32.Append(0xFFFFFFFFu, name), body) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        file.Write(word);
    }
}
