namespace GpuCnn.Datasets.Imaging;

/// <summary>
/// Refuses a JPEG whose data stops before its end-of-image marker. ImageSharp decodes such a file without complaint,
/// leaving the rows it never reached grey or black, so a download cut short would train or predict on half a picture.
/// </summary>
internal static class JpegEnd
{
    /// <summary>Checks that an end-of-image marker (FF D9) follows the first scan of <paramref name="data"/>.
    /// Data whose header segments cannot be walked is left to the decoder, which reports it.</summary>
    /// <exception cref="InvalidDataException">The marker is missing; the message names the file.</exception>
    public static void Check(byte[] data, string name)
    {
        // The segments before the first scan carry their lengths; EXIF thumbnails inside them hold markers of
        // their own, so they are stepped over rather than searched.
        int at = 2;
        while (at + 4 <= data.Length && data[at] == 0xFF)
        {
            byte marker = data[at + 1];
            if (marker == 0xFF)
            {
                at++; // a fill byte
                continue;
            }

            int next = at + 2 + (data[at + 2] << 8 | data[at + 3]);
            if (marker == 0xDA)
            {
                // Inside entropy-coded data a 0xFF byte is followed by 0x00 or a restart marker, never by D9.
                for (int i = next; i + 1 < data.Length; i++)
                {
                    if (data[i] == 0xFF && data[i + 1] == 0xD9)
                    {
                        return;
                    }
                }

                throw new InvalidDataException(
                    $"{name}: the JPEG data ends at offset {data.Length} without its end-of-image marker (FFD9) " +
                    "after the image data; the file is truncated.");
            }

            at = next;
        }
    }
}
