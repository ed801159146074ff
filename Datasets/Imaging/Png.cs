using System.Buffers.Binary;
using System.IO.Compression;

namespace GpuCnn.Datasets.Imaging;

/// <summary>
/// Reads and writes PNG files with nothing but the BCL's zlib. Decoding covers 8-bit grey, grey and alpha, RGB and
/// RGBA, and palette images (1, 2, 4 or 8 bits, as are greys); a tRNS chunk becomes an alpha channel. Encoding
/// writes 8-bit images of 1 to 4 channels with a filter chosen per row.
/// </summary>
public static class Png
{
    /// <summary>The eight bytes every PNG file starts with.</summary>
    internal static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>PNG colour types, as stored in IHDR.</summary>
    internal const byte Grey = 0, Rgb = 2, Palette = 3, GreyAlpha = 4, Rgba = 6;

    /// <summary>Reads the PNG file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a PNG this reader supports, is corrupt, or declares
    /// more than <see cref="ImageLimits.MaxPixels"/> pixels; the message names the file, the chunk and the byte
    /// offset.</exception>
    public static Image Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        long length = new FileInfo(path).Length;
        if (length > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{path}: the file is {length} bytes, more than this reader holds in memory ({Array.MaxLength}).");
        }
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Decodes the PNG in <paramref name="data"/>.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="name">What errors call the data, usually its path.</param>
    /// <returns>
    /// The pixels with 1 (grey), 2 (grey and alpha), 3 (RGB) or 4 (RGBA) channels. Palette images become RGB, or
    /// RGBA when they carry a tRNS chunk; a grey or RGB image with tRNS gains an alpha channel the same way.
    /// </returns>
    /// <exception cref="InvalidDataException">The data is malformed, corrupt or uses a feature not supported here
    /// (16-bit samples, Adam7 interlacing), or the image has more than <see cref="ImageLimits.MaxPixels"/> pixels;
    /// the message names the data, the chunk and the byte offset. Nothing is allocated for the pixels before the
    /// header has passed the limit and the compressed data is long enough to hold them.</exception>
    public static Image Decode(byte[] data, string name)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(name);
        return PngDecoder.Decode(data, name);
    }

    /// <summary>Encodes <paramref name="image"/> as an 8-bit PNG of the matching colour type.</summary>
    public static byte[] Encode(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return PngEncoder.Encode(image);
    }

    /// <summary>
    /// Writes <paramref name="image"/> to <paramref name="path"/>. The bytes go to a temporary file beside it that is
    /// then renamed, so a reader never sees half a file and a failed write leaves any older file intact.
    /// </summary>
    public static void Save(Image image, string path)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = Encode(image);
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
        string temporary = full + ".partial-" + Environment.ProcessId;
        try
        {
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>The Paeth predictor of the PNG specification: whichever of left, up, up-left is nearest to
    /// left + up - up-left, ties going in that order.</summary>
    internal static byte Paeth(byte left, byte up, byte upLeft)
    {
        int p = left + up - upLeft;
        int pa = Math.Abs(p - left);
        int pb = Math.Abs(p - up);
        int pc = Math.Abs(p - upLeft);
        if (pa <= pb && pa <= pc)
        {
            return left;
        }
        return pb <= pc ? up : upLeft;
    }

    /// <summary>
    /// The prediction of filter <paramref name="filter"/> (1 Sub, 2 Up, 3 Average, 4 Paeth; 0 None predicts 0) for
    /// byte <paramref name="i"/> of a row, from the unfiltered current and previous rows; <paramref name="bpp"/> is
    /// the distance in bytes to the corresponding byte of the pixel to the left.
    /// </summary>
    internal static byte Predict(int filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> previous, int i, int bpp)
    {
        byte left = i >= bpp ? row[i - bpp] : (byte)0;
        byte up = previous[i];
        return filter switch
        {
            1 => left,
            2 => up,
            3 => (byte)((left + up) >> 1),
            4 => Paeth(left, up, i >= bpp ? previous[i - bpp] : (byte)0),
            _ => 0,
        };
    }
}

/// <summary>The IHDR fields a decoder needs, checked.</summary>
internal readonly record struct PngHeader(int Width, int Height, int BitDepth, int ColourType)
{
    /// <summary>Samples per pixel as stored in the file.</summary>
    public int SamplesPerPixel => ColourType switch
    {
        Png.Rgb => 3,
        Png.GreyAlpha => 2,
        Png.Rgba => 4,
        _ => 1,
    };

    /// <summary>Bytes per stored row, without its filter byte.</summary>
    public int Stride => (int)(((long)Width * SamplesPerPixel * BitDepth + 7) / 8);

    /// <summary>The filters' byte distance to the pixel on the left: bytes per pixel, at least 1.</summary>
    public int FilterDistance => Math.Max(1, SamplesPerPixel * BitDepth / 8);
}

/// <summary>
/// Walks the chunks of one PNG, then inflates, unfilters and expands its pixels. Each step checks what it reads and
/// reports problems with the name of the data, the chunk and its offset.
/// </summary>
internal sealed class PngDecoder
{
    // A width or height beyond this is a corrupt header in practice, and keeps every size computation in range.
    private const int MaxSide = 1 << 15;

    // Deflate's densest code spends 2 bits on a 258-byte match, so no stream inflates to more than 1032 times its
    // size; rows that need more than that cannot be in the file, whatever the header says.
    private const long MaxDeflateRatio = 1032;

    private readonly byte[] data;
    private readonly string name;
    private PngHeader header;
    private byte[]? palette;
    private byte[]? transparency;
    private int transparencyOffset;
    private int firstIdatOffset = -1;
    private readonly MemoryStream compressed = new();

    private PngDecoder(byte[] data, string name)
    {
        this.data = data;
        this.name = name;
    }

    public static Image Decode(byte[] data, string name)
    {
        var decoder = new PngDecoder(data, name);
        decoder.ReadChunks();
        decoder.CheckSize();
        return decoder.DecodeRows();
    }

    private InvalidDataException Error(string chunk, long offset, string message) =>
        new($"{name}: {chunk} chunk at offset {offset}: {message}");

    private void ReadChunks()
    {
        ReadOnlySpan<byte> signature = Png.Signature;
        if (data.Length < signature.Length || !data.AsSpan(0, signature.Length).SequenceEqual(signature))
        {
            throw new InvalidDataException(
                $"{name}: not a PNG file; the 8-byte signature at offset 0 is " +
                $"{Convert.ToHexString(data.AsSpan(0, Math.Min(8, data.Length)))}, expected 89504E470D0A1A0A.");
        }
        int offset = signature.Length;
        bool seenHeader = false;
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
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset));
            string type = ChunkType(data.AsSpan(offset + 4, 4));
            if (length > int.MaxValue || length > data.Length - offset - 12)
            {
                throw Error(type, offset,
                    $"it declares {length} data bytes but the file ends at offset {data.Length}, before its " +
                    $"CRC at offset {(long)offset + 8 + length}; the file is truncated.");
            }
            ReadOnlySpan<byte> body = data.AsSpan(offset + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset + 8 + (int)length));
            uint actual = Crc32.Compute(data.AsSpan(offset + 4, 4 + (int)length));
            if (stored != actual)
            {
                throw Error(type, offset,
                    $"the CRC at offset {offset + 8 + length} is 0x{stored:X8} but the chunk's bytes give " +
                    $"0x{actual:X8}; the file is corrupt.");
            }
            if (!seenHeader && type != "IHDR")
            {
                throw Error(type, offset, "the first chunk must be IHDR; the file has no image header.");
            }
            switch (type)
            {
                case "IHDR" when seenHeader:
                    throw Error(type, offset, "a second IHDR chunk; a PNG has exactly one.");
                case "IHDR":
                    header = ReadHeader(body, offset);
                    seenHeader = true;
                    break;
                case "PLTE":
                    ReadPalette(body, offset);
                    break;
                case "tRNS":
                    transparency = body.ToArray();
                    transparencyOffset = offset;
                    break;
                case "IDAT":
                    if (firstIdatOffset >= 0 && previous != "IDAT")
                    {
                        throw Error(type, offset, "IDAT chunks must follow one another without other chunks between.");
                    }
                    firstIdatOffset = firstIdatOffset < 0 ? offset : firstIdatOffset;
                    compressed.Write(body);
                    break;
                case "IEND":
                    FinishChunks(offset);
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
            offset += 12 + (int)length;
        }
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
        return string.Create(4, bytes.ToArray(), static (chars, b) =>
        {
            for (int i = 0; i < 4; i++)
            {
                chars[i] = (char)b[i];
            }
        });
    }

    private PngHeader ReadHeader(ReadOnlySpan<byte> body, int offset)
    {
        if (body.Length != 13)
        {
            throw Error("IHDR", offset, $"IHDR holds {body.Length} bytes; it must hold 13.");
        }
        uint width = BinaryPrimitives.ReadUInt32BigEndian(body);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        if (width == 0 || height == 0 || width > MaxSide || height > MaxSide)
        {
            throw Error("IHDR", offset, $"the image is {width}x{height}; each side must be between 1 and {MaxSide}.");
        }
        int depth = body[8], colour = body[9];
        bool valid = colour switch
        {
            Png.Grey => depth is 1 or 2 or 4 or 8 or 16,
            Png.Palette => depth is 1 or 2 or 4 or 8,
            Png.Rgb or Png.GreyAlpha or Png.Rgba => depth is 8 or 16,
            _ => false,
        };
        if (!valid)
        {
            throw Error("IHDR", offset + 8,
                $"bit depth {depth} with colour type {colour} is not a combination PNG allows.");
        }
        if (depth == 16)
        {
            throw Error("IHDR", offset + 8,
                "16-bit samples are not supported; save the image with 8 bits per sample.");
        }
        if (body[10] != 0 || body[11] != 0)
        {
            throw Error("IHDR", offset + 8,
                $"compression method {body[10]} and filter method {body[11]} must both be 0.");
        }
        if (body[12] == 1)
        {
            throw Error("IHDR", offset + 8,
                "the image is Adam7-interlaced, which is not supported; save it without interlacing.");
        }
        if (body[12] != 0)
        {
            throw Error("IHDR", offset + 8, $"interlace method {body[12]} is not defined by PNG.");
        }
        return new PngHeader((int)width, (int)height, depth, colour);
    }

    private void ReadPalette(ReadOnlySpan<byte> body, int offset)
    {
        if (body.Length == 0 || body.Length % 3 != 0 || body.Length > 256 * 3)
        {
            throw Error("PLTE", offset, $"PLTE holds {body.Length} bytes; it must be 1 to 256 RGB triples.");
        }
        palette = body.ToArray();
    }

    private void FinishChunks(int iendOffset)
    {
        if (firstIdatOffset < 0)
        {
            throw Error("IEND", iendOffset, "the file has no IDAT chunk before IEND, so it holds no pixels.");
        }
        if (header.ColourType == Png.Palette && palette is null)
        {
            throw Error("IEND", iendOffset, "a palette image needs a PLTE chunk, and this file has none.");
        }
        if (transparency is null)
        {
            return;
        }
        int expected = header.ColourType switch
        {
            Png.Grey => 2,
            Png.Rgb => 6,
            Png.Palette => palette!.Length / 3,
            _ => -1,
        };
        bool ok = header.ColourType == Png.Palette
            ? transparency.Length <= expected
            : transparency.Length == expected;
        if (!ok)
        {
            throw Error("tRNS", transparencyOffset, expected < 0
                ? $"colour type {header.ColourType} already has an alpha channel and must not carry tRNS."
                : $"tRNS holds {transparency.Length} bytes; colour type {header.ColourType} allows " +
                  (header.ColourType == Png.Palette ? "at most " : "") + $"{expected}.");
        }
    }

    /// <summary>
    /// Refuses, before anything is allocated for the pixels, an image over <see cref="ImageLimits.MaxPixels"/> and
    /// one whose compressed data is too short to inflate to the rows its header declares.
    /// </summary>
    private void CheckSize()
    {
        var (width, height) = (header.Width, header.Height);
        long pixels = (long)width * height;
        if (pixels > ImageLimits.MaxPixels)
        {
            throw Error("IHDR", 8,
                $"the image is {width}x{height} = {pixels} pixels, which exceeds the limit of " +
                $"{ImageLimits.MaxPixels} pixels (ImageLimits.MaxPixels); raise that setting to read larger images.");
        }
        long expected = (long)height * (1 + header.Stride);
        long compressedLength = compressed.Length;
        if (expected > compressedLength * MaxDeflateRatio)
        {
            throw Error("IDAT", firstIdatOffset,
                $"the IDAT chunks hold {compressedLength} compressed bytes, which inflate to at most " +
                $"{compressedLength * MaxDeflateRatio}, but a {width}x{height} image needs {expected}; the data is " +
                "truncated or the header is corrupt.");
        }
        if (compressedLength >= 2 && (compressed.GetBuffer()[1] & 0x20) != 0)
        {
            throw Error("IDAT", firstIdatOffset,
                "the zlib stream sets the preset-dictionary flag (bit 5 of its second byte), which PNG forbids.");
        }
    }

    /// <summary>
    /// Inflates the rows one at a time, unfilters each against the one before and expands it into the image, so
    /// that only the image and two rows are held, never the whole inflated data.
    /// </summary>
    private Image DecodeRows()
    {
        var (width, height, _, colour) = header;
        bool keyed = transparency is not null;
        int channels = colour switch
        {
            Png.Palette => keyed ? 4 : 3,
            Png.Grey => keyed ? 2 : 1,
            Png.Rgb => keyed ? 4 : 3,
            _ => header.SamplesPerPixel,
        };
        int stride = header.Stride;
        long expected = (long)height * (1 + stride);
        var image = new Image(width, height, channels);
        var current = new byte[stride + 1];
        var previous = new byte[stride + 1];
        compressed.Position = 0;
        using var zlib = new ZLibStream(compressed, CompressionMode.Decompress, leaveOpen: true);
        for (int y = 0; y < height; y++)
        {
            int read = Inflate(zlib, current);
            if (read < current.Length)
            {
                throw Error("IDAT", firstIdatOffset,
                    $"the data inflates to {(long)y * current.Length + read} bytes but a {width}x{height} image " +
                    $"needs exactly {expected} ({height} rows of a filter byte and {stride} bytes).");
            }
            Unfilter(current, previous, y);
            ExpandRow(current.AsSpan(1), image.Row(y), y);
            (current, previous) = (previous, current);
        }
        if (Inflate(zlib, current.AsSpan(0, 1)) != 0)
        {
            throw Error("IDAT", firstIdatOffset,
                $"the data inflates to more bytes than a {width}x{height} image needs, exactly {expected} " +
                $"({height} rows of a filter byte and {stride} bytes).");
        }
        return image;
    }

    // The BCL reports a corrupt stream as InvalidDataException, and some zlib failures (such as a preset
    // dictionary) as an IOException without any name; both become this reader's error naming the file.
    private int Inflate(ZLibStream zlib, Span<byte> buffer)
    {
        try
        {
            return zlib.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            throw new InvalidDataException(
                $"{name}: IDAT chunk at offset {firstIdatOffset}: the zlib stream is corrupt ({ex.Message}).", ex);
        }
    }

    /// <summary>Undoes the filter of one row (its filter byte first) in place, given the unfiltered row above.
    /// </summary>
    private void Unfilter(byte[] current, byte[] previousRow, int y)
    {
        int stride = header.Stride, bpp = header.FilterDistance;
        int filter = current[0];
        if (filter > 4)
        {
            throw Error("IDAT", firstIdatOffset,
                $"row {y} has filter type {filter} at offset {(long)y * (stride + 1)} of the inflated data; " +
                "only 0 to 4 exist.");
        }
        if (filter == 0)
        {
            return;
        }
        Span<byte> row = current.AsSpan(1, stride);
        // For the first row the buffer of the row above is still all zeros, which is what PNG predicts from.
        ReadOnlySpan<byte> previous = previousRow.AsSpan(1, stride);
        for (int i = 0; i < stride; i++)
        {
            row[i] += Png.Predict(filter, row, previous, i, bpp);
        }
    }

    private void ExpandRow(ReadOnlySpan<byte> row, Span<byte> target, int y)
    {
        var (width, _, depth, colour) = header;
        switch (colour)
        {
            case Png.Palette:
                ExpandPalette(row, target, y);
                break;
            case Png.Grey:
                ExpandGrey(row, target, depth, width);
                break;
            case Png.Rgb when transparency is not null:
                ExpandKeyedRgb(row, target, width);
                break;
            default:
                row.CopyTo(target);
                break;
        }
    }

    private void ExpandPalette(ReadOnlySpan<byte> row, Span<byte> target, int y)
    {
        byte[] palette = this.palette!;
        int entries = palette.Length / 3, channels = transparency is null ? 3 : 4;
        for (int x = 0; x < header.Width; x++)
        {
            int index = Sample(row, x, header.BitDepth);
            if (index >= entries)
            {
                throw Error("IDAT", firstIdatOffset,
                    $"pixel ({x}, {y}) uses palette index {index} but PLTE has only {entries} entries.");
            }
            Span<byte> pixel = target.Slice(x * channels, channels);
            palette.AsSpan(index * 3, 3).CopyTo(pixel);
            if (channels == 4)
            {
                pixel[3] = index < transparency!.Length ? transparency[index] : (byte)255;
            }
        }
    }

    private void ExpandGrey(ReadOnlySpan<byte> row, Span<byte> target, int depth, int width)
    {
        // tRNS for grey holds a 16-bit sample value; pixels equal to it become fully transparent.
        int key = transparency is null ? -1 : BinaryPrimitives.ReadUInt16BigEndian(transparency);
        int channels = key < 0 ? 1 : 2, max = (1 << depth) - 1;
        for (int x = 0; x < width; x++)
        {
            int sample = Sample(row, x, depth);
            // Scaling by 255 / max maps the lowest and highest levels of any depth to 0 and 255, as the spec asks.
            target[x * channels] = (byte)(sample * 255 / max);
            if (channels == 2)
            {
                target[x * channels + 1] = sample == key ? (byte)0 : (byte)255;
            }
        }
    }

    private void ExpandKeyedRgb(ReadOnlySpan<byte> row, Span<byte> target, int width)
    {
        var t = transparency!;
        int r = BinaryPrimitives.ReadUInt16BigEndian(t), g = BinaryPrimitives.ReadUInt16BigEndian(t.AsSpan(2));
        int b = BinaryPrimitives.ReadUInt16BigEndian(t.AsSpan(4));
        for (int x = 0; x < width; x++)
        {
            ReadOnlySpan<byte> source = row.Slice(x * 3, 3);
            source.CopyTo(target.Slice(x * 4, 3));
            target[x * 4 + 3] = source[0] == r && source[1] == g && source[2] == b ? (byte)0 : (byte)255;
        }
    }

    /// <summary>Sample <paramref name="x"/> of a row of one-sample pixels packed <paramref name="depth"/> bits each,
    /// the leftmost pixel in the high bits of a byte.</summary>
    private static int Sample(ReadOnlySpan<byte> row, int x, int depth)
    {
        if (depth == 8)
        {
            return row[x];
        }
        int bit = x * depth;
        return (row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
    }
}
