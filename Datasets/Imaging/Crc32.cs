namespace GpuCnn.Datasets.Imaging;

/// <summary>
/// The CRC-32 of PNG chunks (ISO 3309, the same as zlib's and Ethernet's): reflected polynomial 0xEDB88320,
/// initial value and final xor all ones.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;

    /// <summary>
    /// Feeds <paramref name="data"/> into a running register; start with all ones and xor the end result with all
    /// ones. PNG covers a chunk's type and data, which do not lie in one span when we write them.
    /// </summary>
    public static uint Append(uint register, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            register = Table[(register ^ b) & 0xFF] ^ (register >> 8);
        }
        return register;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        return table;
    }
}
