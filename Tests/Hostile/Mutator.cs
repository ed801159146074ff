using System.Buffers.Binary;

namespace GpuCnn.Tests.Hostile;

/// <summary>A header field a mutation may set to a hostile value: its offset, width in bytes and byte order.
/// </summary>
internal readonly record struct Field(int Offset, int Width, bool BigEndian = true);

/// <summary>
/// Deterministic mutations of a valid file, as a fuzzer makes them: truncations, bit flips, header fields set to
/// 0, -1, 2^31 or 2^63, hostile values at random offsets, and appended bytes. Case <c>i</c> of a run always gives the
/// same bytes, so a failure names a case that can be replayed.
/// </summary>
internal static class Mutator
{
    /// <summary>The values a header field is set to: 0, -1, 2^31, 2^63, and a few more edges; the last two set
    /// a pair of adjacent 32-bit fields (an image's width and height) to 8192 or 16384 each.</summary>
    public static readonly ulong[] Hostile =
    [
        0, ulong.MaxValue, 1UL << 31, 1UL << 63, int.MaxValue, 0x7FFFFFC7, 1UL << 32, 1, 255, 1 << 15, 65535,
        0x0000_2000_0000_2000, 0x0000_4000_0000_4000,
    ];

    /// <summary>Case <paramref name="index"/>: a mutation of <paramref name="valid"/> and what it did.</summary>
    /// <param name="valid">The file to mutate; not changed.</param>
    /// <param name="fields">Header fields worth setting to hostile values.</param>
    /// <param name="random">The case's generator.</param>
    public static (byte[] Bytes, string What) Mutate(byte[] valid, IReadOnlyList<Field> fields, Random random)
    {
        var bytes = (byte[])valid.Clone();
        switch (random.Next(6))
        {
            case 0:
                var length = random.Next(valid.Length);
                return (bytes[..length], $"truncated to {length} bytes");
            case 1:
            case 2:
                var flips = 1 + random.Next(4);
                var where = new List<string>();
                for (var f = 0; f < flips; f++)
                {
                    var bit = random.Next(bytes.Length * 8);
                    bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                    where.Add($"{bit / 8}.{bit % 8}");
                }

                return (bytes, $"bits flipped at {string.Join(", ", where)}");
            case 3 when fields.Count > 0:
                var field = fields[random.Next(fields.Count)];
                var value = Hostile[random.Next(Hostile.Length)];
                Write(bytes, field, value);
                return (bytes, $"field at {field.Offset} set to 0x{value:X}");
            case 4:
                var at = random.Next(Math.Max(1, bytes.Length - 3));
                var hostile = Hostile[random.Next(Hostile.Length)];
                Write(bytes, new Field(at, Math.Min(4, bytes.Length - at), random.Next(2) == 0), hostile);
                return (bytes, $"4 bytes at {at} set to 0x{hostile:X}");
            default:
                var extra = new byte[1 + random.Next(64)];
                random.NextBytes(extra);
                return ([.. bytes, .. extra], $"{extra.Length} bytes appended");
        }
    }

    /// <summary>Writes the low <see cref="Field.Width"/> bytes of <paramref name="value"/> at the field.</summary>
    public static void Write(byte[] bytes, Field field, ulong value)
    {
        if (field.Offset + field.Width > bytes.Length)
        {
            return;
        }

        Span<byte> eight = stackalloc byte[8];
        if (field.BigEndian)
        {
            BinaryPrimitives.WriteUInt64BigEndian(eight, value);
            eight[(8 - field.Width)..].CopyTo(bytes.AsSpan(field.Offset));
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(eight, value);
            eight[..field.Width].CopyTo(bytes.AsSpan(field.Offset));
        }
    }
}
