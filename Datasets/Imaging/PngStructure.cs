using System.Buffers.Binary;

namespace GpuCnn.Datasets.Imaging;

/// <summary>
/// Checks the chunk structure of a PNG before its pixels are decoded: the signature, every chunk's length and CRC,
/// the header's fields, the pixel limit, and that the compressed data can hold the rows the header declares. The
/// decoder (ImageSharp) is lenient where a truncated download or a hostile file should be an error: it fills
/// missing rows with black, skips unknown critical chunks and loops forever on some interlaced files, so those
/// are refused here, each with the file, the chunk and its byte offset, before any pixel memory is allocated.
/// </summary>
internal sealed class PngStructure
{
    // A side beyond this is a corrupt header in practice, and keeps every size computation in range.
    private const int MaxSide = 1 << 15;

    // Deflate's densest code spends 2 bits on a 258-byte match, so no stream inflates to more than 1032 times its
    // size; rows that need more than that cannot be in the file, whatever the header says.
    private const long MaxDeflateRatio = 1032;

    private readonly byte[] data;
    private readonly string name;
    private int width, height, depth, colour;
    private bool hasPalette, hasTransparency;
    private int firstIdat = -1;
    private long compressedLength;
    private readonly byte[] zlibHeader = new byte[2];

    private PngStructure(byte[] data, string name)
    {
        this.data = data;
        this.name = name;
    }

    /// <summary>Whether <paramref name="data"/> starts with the PNG signature.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> data) => data.StartsWith(Png.Signature);

    /// <summary>Checks <paramref name="data"/>, the whole file, called <paramref name="name"/> in errors.</summary>
    /// <returns>The channels the colour type stores: 1 grey, 2 grey and alpha, 3 RGB (and palette), 4 RGBA; a tRNS
    /// chunk adds alpha to grey, RGB and palette images.</returns>
    /// <exception cref="InvalidDataException">The structure is broken, a feature is refused, or the image is over
    /// <see cref="ImageLimits.MaxPixels"/>; the message names the file, the chunk and the byte offset.</exception>
    public static int Check(byte[] data, string name)
    {
        var check = new PngStructure(data, name);
        check.Walk();
        check.CheckSize();
        return check.colour switch
        {
            Png.GreyAlpha => 2,
            Png.Rgba => 4,
            Png.Grey => check.hasTransparency ? 2 : 1,
            _ => check.hasTransparency ? 4 : 3,
        };
    }

    private InvalidDataException Error(string chunk, long offset, string message) =>
        new($"{name}: {chunk} chunk at offset {offset}: {message}");

    private void Walk()
    {
        if (!HasSignature(data))
        {
            throw new InvalidDataException(
                $"{name}: not a PNG file; the 8-byte signature at offset 0 is " +
                $"{Convert.ToHexString(data.AsSpan(0, Math.Min(8, data.Length)))}, expected 89504E470D0A1A0A.");
        }

        int offset = Png.Signature.Length;
        string previous = "";
        while (true)
        {
            if (data.Length - offset < 12)
            {
                throw new InvalidDataException(
                    $"{name}: the file ends at offset {data.Length}, inside the chunk header at offset {offset}" +
                    (previous.Length > 0 ? $" after the {previous} chunk" : "") + ", before an IEND chunk; it is " +
                    "truncated.");
            }

            var (type, length) = Chunk(offset);
            ReadOnlySpan<byte> body = data.AsSpan(offset + 8, length);
            if (previous.Length == 0 && type != "IHDR")
            {
                throw Error(type, offset, "the first chunk must be IHDR; the file has no image header.");
            }

            switch (type)
            {
                case "IHDR" when previous.Length > 0:
                    throw Error(type, offset, "a second IHDR chunk; a PNG has exactly one.");
                case "IHDR":
                    ReadHeader(body, offset);
                    break;
                case "PLTE":
                    hasPalette = true;
                    break;
                case "tRNS":
                    hasTransparency = true;
                    break;
                case "IDAT" when firstIdat >= 0 && previous != "IDAT":
                    throw Error(type, offset, "IDAT chunks must follow one another without other chunks between.");
                case "IDAT":
                    firstIdat = firstIdat < 0 ? offset : firstIdat;
                    if (compressedLength < 2)
                    {
                        body[..Math.Min(body.Length, 2 - (int)compressedLength)]
                            .CopyTo(zlibHeader.AsSpan((int)compressedLength));
                    }

                    compressedLength += body.Length;
                    break;
                case "IEND":
                    Finish(offset);
                    return;
                default:
                    // Bit 5 of the first letter (lower case) marks an ancillary chunk, safe to skip. An unknown
                    // critical chunk may change how the pixels are to be read, so guessing would be wrong.
                    if ((data[offset + 4] & 0x20) == 0)
                    {
                        throw Error(type, offset, "unknown critical chunk; this reader cannot decode the image.");
                    }

                    break;
            }

            previous = type;
            offset += 12 + body.Length;
        }
    }

    // The type and data length of the chunk at offset, that length and the CRC checked.
    private (string Type, int Length) Chunk(int offset)
    {
        uint length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset));
        string type = ChunkType(data.AsSpan(offset + 4, 4));
        if (length > int.MaxValue || length > data.Length - offset - 12)
        {
            throw Error(type, offset,
                $"it declares {length} data bytes but the file ends at offset {data.Length}, before its " +
                $"CRC at offset {(long)offset + 8 + length}; the file is truncated.");
        }

        uint stored = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset + 8 + (int)length));
        uint actual = Crc32.Compute(data.AsSpan(offset + 4, 4 + (int)length));
        if (stored != actual)
        {
            throw Error(type, offset,
                $"the CRC at offset {offset + 8 + length} is 0x{stored:X8} but the chunk's bytes give " +
                $"0x{actual:X8}; the file is corrupt.");
        }

        return (type, (int)length);
    }

    private static string ChunkType(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (!char.IsAsciiLetter((char)b))
            {
                return "0x" + Convert.ToHexString(bytes);
            }
        }

        return System.Text.Encoding.ASCII.GetString(bytes);
    }

    private void ReadHeader(ReadOnlySpan<byte> body, int offset)
    {
        if (body.Length != 13)
        {
            throw Error("IHDR", offset, $"IHDR holds {body.Length} bytes; it must hold 13.");
        }

        uint w = BinaryPrimitives.ReadUInt32BigEndian(body), h = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        if (w == 0 || h == 0 || w > MaxSide || h > MaxSide)
        {
            throw Error("IHDR", offset, $"the image is {w}x{h}; each side must be between 1 and {MaxSide}.");
        }

        (width, height, depth, colour) = ((int)w, (int)h, body[8], body[9]);
        bool valid = colour switch
        {
            Png.Grey => depth is 1 or 2 or 4 or 8 or 16,
            Png.Palette => depth is 1 or 2 or 4 or 8,
            Png.Rgb or Png.GreyAlpha or Png.Rgba => depth is 8 or 16,
            _ => false,
        };
        string? problem = !valid ? $"bit depth {depth} with colour type {colour} is not a combination PNG allows."
            : body[10] != 0 || body[11] != 0
                ? $"compression method {body[10]} and filter method {body[11]} must both be 0."
                // NOTE: ImageSharp 2.1 loops forever on some Adam7 files (any narrower than 5 pixels, and short
                // data), so interlaced images are refused as they were before it decoded PNGs.
                : body[12] == 1 ? "the image is Adam7-interlaced, which is not supported; save it without interlacing."
                : body[12] != 0 ? $"interlace method {body[12]} is not defined by PNG." : null;
        if (problem is not null)
        {
            throw Error("IHDR", offset + 8, problem);
        }
    }

    private void Finish(int iendOffset)
    {
        if (firstIdat < 0)
        {
            throw Error("IEND", iendOffset, "the file has no IDAT chunk before IEND, so it holds no pixels.");
        }

        if (colour == Png.Palette && !hasPalette)
        {
            throw Error("IEND", iendOffset, "a palette image needs a PLTE chunk, and this file has none.");
        }
    }

    // Refuses an image over the pixel limit, and one whose compressed data is too short to inflate to its rows or
    // does not start with a zlib header PNG allows.
    private void CheckSize()
    {
        if (ImageLimits.Exceeded(width, height) is { } over)
        {
            throw Error("IHDR", 8, over);
        }

        int samples = colour switch { Png.Rgb => 3, Png.GreyAlpha => 2, Png.Rgba => 4, _ => 1 };
        long expected = height * (1 + ((long)width * samples * depth + 7) / 8);
        if (expected > compressedLength * MaxDeflateRatio)
        {
            throw Error("IDAT", firstIdat,
                $"the IDAT chunks hold {compressedLength} compressed bytes, which inflate to at most " +
                $"{compressedLength * MaxDeflateRatio}, but a {width}x{height} image needs {expected}; the data is " +
                "truncated or the header is corrupt.");
        }

        var (method, flags) = (zlibHeader[0], zlibHeader[1]);
        if (compressedLength < 2 || (method & 0x0F) != 8 || method >> 4 > 7 || (method << 8 | flags) % 31 != 0)
        {
            throw Error("IDAT", firstIdat, compressedLength < 2
                ? $"the IDAT chunks hold {compressedLength} bytes, less than a zlib header; the data is truncated."
                : $"the zlib header 0x{method:X2}{flags:X2} is not deflate with a valid check; the data is corrupt.");
        }

        if ((flags & 0x20) != 0)
        {
            throw Error("IDAT", firstIdat,
                "the zlib stream sets the preset-dictionary flag (bit 5 of its second byte), which PNG forbids.");
        }
    }
}
