using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using GpuCnn.Datasets.Imaging;

namespace GpuCnn.Tests.Hostile;

/// <summary>PNG files built byte by byte, valid or hostile, and a mutation that keeps the chunks' CRCs right so
/// that changes reach the decoder behind the CRC check.</summary>
internal static class PngBytes
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Chunk(string type, byte[] body)
    {
        var bytes = new byte[12 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, body.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(bytes, 4);
        body.CopyTo(bytes, 8);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8 + body.Length),
            Crc32.Compute(bytes.AsSpan(4, 4 + body.Length)));
        return bytes;
    }

    public static byte[] Ihdr(int width, int height, byte depth, byte colour)
    {
        var body = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(body, width);
        BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(4), height);
        body[8] = depth;
        body[9] = colour;
        return Chunk("IHDR", body);
    }

    public static byte[] Zlib(byte[] raw)
    {
        using var buffer = new MemoryStream();
        using (var zlib = new ZLibStream(buffer, CompressionLevel.Optimal))
        {
            zlib.Write(raw);
        }

        return buffer.ToArray();
    }

    public static byte[] File(params byte[][] chunks) => [.. Signature, .. chunks.SelectMany(c => c)];

    /// <summary>A palette image of 1-bit pixels with only zeros in its rows, as small as such a file gets.</summary>
    public static byte[] BlankPalette(int width, int height)
    {
        var stride = (width + 7) / 8;
        // Row by row into the deflater, so even a huge image needs no buffer of its whole inflated size.
        using var buffer = new MemoryStream();
        using (var zlib = new ZLibStream(buffer, CompressionLevel.Optimal))
        {
            var row = new byte[1 + stride];
            for (var y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }

        return File(Ihdr(width, height, 1, 3), Chunk("PLTE", [0, 0, 0, 255, 255, 255]),
            Chunk("IDAT", buffer.ToArray()), Chunk("IEND", []));
    }

    /// <summary>Valid files of every colour type and several bit depths, a few pixels each.</summary>
    public static byte[][] Samples()
    {
        var random = new Random(7);
        Image Noise(int w, int h, int c)
        {
            var pixels = new byte[w * h * c];
            random.NextBytes(pixels);
            return new Image(w, h, c, pixels);
        }

        byte[] Rows(int height, int stride)
        {
            var raw = new byte[height * (1 + stride)];
            random.NextBytes(raw);
            for (var y = 0; y < height; y++)
            {
                raw[y * (1 + stride)] = (byte)(y % 5);
            }

            return raw;
        }

        return
        [
            Png.Encode(Noise(7, 5, 1)),
            Png.Encode(Noise(6, 4, 2)),
            Png.Encode(Noise(5, 6, 3)),
            Png.Encode(Noise(4, 4, 4)),
            File(Ihdr(9, 3, 1, 3), Chunk("PLTE", [0, 0, 0, 255, 255, 255]), Chunk("tRNS", [0]),
                Chunk("IDAT", Zlib([0, 0b1010_1010, 0x80, 0, 0xFF, 0, 0, 0x55, 0x80])), Chunk("IEND", [])),
            File(Ihdr(5, 4, 2, 0), Chunk("IDAT", Zlib(Rows(4, 2))), Chunk("IEND", [])),
            File(Ihdr(3, 3, 8, 2), Chunk("tRNS", [0, 1, 0, 2, 0, 3]), Chunk("IDAT", Zlib(Rows(3, 9))),
                Chunk("IEND", [])),
        ];
    }

    /// <summary>The fields of IHDR and the first chunk after it: lengths, sides (each, and both at once),
    /// depth, colour and interlace.</summary>
    public static readonly Field[] Fields =
    [
        new(8, 4), new(16, 4), new(20, 4), new(16, 8), new(24, 1), new(25, 1), new(28, 1), new(33, 4),
    ];

    /// <summary>A mutation whose chunks get their CRCs recomputed afterwards.</summary>
    public static (byte[] Bytes, string What) MutateBehindCrc(byte[] valid, Random random)
    {
        var (bytes, what) = Mutator.Mutate(valid, Fields, random);
        FixCrcs(bytes);
        return (bytes, what + ", CRCs fixed");
    }

    /// <summary>Recomputes the CRC of every whole chunk, in place.</summary>
    public static void FixCrcs(byte[] bytes)
    {
        var offset = Signature.Length;
        while (bytes.Length - offset >= 12)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset));
            if (length > bytes.Length - offset - 12)
            {
                return;
            }

            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(offset + 8 + (int)length),
                Crc32.Compute(bytes.AsSpan(offset + 4, 4 + (int)length)));
            offset += 12 + (int)length;
        }
    }
}
