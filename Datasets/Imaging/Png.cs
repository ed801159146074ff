namespace GpuCnn.Datasets.Imaging;

/// <summary>
/// Reads and writes PNG files. Reading checks the file's chunk structure and limits first (names the chunk and
/// offset of what is wrong), then decodes the pixels with ImageSharp: every colour type and bit depth, 16-bit
/// samples reduced to 8; a tRNS chunk becomes an alpha channel. Interlaced files are refused. Encoding writes
/// 8-bit images of 1 to 4 channels with a filter chosen per row, with the BCL's zlib. <see cref="ImageFile"/>
/// reads the other formats too.
/// </summary>
public static class Png
{
    /// <summary>The eight bytes every PNG file starts with.</summary>
    internal static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>PNG colour types, as stored in IHDR.</summary>
    internal const byte Grey = 0, Rgb = 2, Palette = 3, GreyAlpha = 4, Rgba = 6;

    /// <summary>Reads the PNG file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a PNG this reader supports, is corrupt, or declares
    /// more than <see cref="ImageLimits.MaxPixels"/> pixels; the message names the file, and the chunk and the byte
    /// offset where the structure is at fault.</exception>
    public static Image Load(string path) => Decode(ImageFile.ReadAll(path), path);

    /// <summary>Decodes the PNG in <paramref name="data"/>.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="name">What errors call the data, usually its path.</param>
    /// <returns>
    /// The pixels with 1 (grey), 2 (grey and alpha), 3 (RGB) or 4 (RGBA) channels, as the colour type stores them.
    /// Palette images become RGB, or RGBA when they carry a tRNS chunk; a grey or RGB image with tRNS gains an
    /// alpha channel the same way.
    /// </returns>
    /// <exception cref="InvalidDataException">The data is malformed, corrupt or Adam7-interlaced, or the image has
    /// more than <see cref="ImageLimits.MaxPixels"/> pixels; the message names the data, and the chunk and the byte
    /// offset where the structure is at fault. Nothing is allocated for the pixels before the header has passed the
    /// limit and the compressed data is long enough to hold them.</exception>
    public static Image Decode(byte[] data, string name)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(name);
        int channels = PngStructure.Check(data, name);
        return ImageFile.DecodeChecked(data, name, channels);
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
