namespace GpuCnn.Datasets.Augmentation;

/// <summary>
/// Moves the image by a whole number of pixels, up to <see cref="MaxShift"/> each way in each direction, filling
/// what moves in with zeros: a random affine translation without interpolation.
/// </summary>
public sealed class RandomShift : ImageTransform
{
    /// <summary>Shifts of up to ±<paramref name="maxShift"/> pixels, every one equally likely.</summary>
    public RandomShift(int maxShift)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxShift);
        MaxShift = maxShift;
    }

    /// <summary>The largest shift, in pixels, either way.</summary>
    public int MaxShift { get; }

    /// <inheritdoc/>
    public override void Apply(Span<float> image, ImageShape shape, ref AugmentationRandom random)
    {
        int down = random.NextBelow(2 * MaxShift + 1) - MaxShift;
        int right = random.NextBelow(2 * MaxShift + 1) - MaxShift;
        Shift(image, shape, down, right);
    }

    /// <summary>
    /// Moves the content of <paramref name="image"/> <paramref name="down"/> rows down and <paramref name="right"/>
    /// columns right (negative: up, left) in place: out(y, x) = in(y - down, x - right), zero where that is outside.
    /// </summary>
    public static void Shift(Span<float> image, ImageShape shape, int down, int right)
    {
        CheckSize(image, shape);
        if (down == 0 && right == 0)
        {
            return;
        }
        int h = shape.Height, w = shape.Width, plane = h * w;
        for (int c = 0; c < shape.Channels; c++)
        {
            Span<float> pixels = image.Slice(c * plane, plane);
            // Moving down reads rows above the one written, so walk up from the bottom (and down from the top when
            // moving up): every source row is read before it is overwritten, and no scratch copy is needed.
            for (int k = 0; k < h; k++)
            {
                int y = down > 0 ? h - 1 - k : k;
                int from = y - down;
                Span<float> target = pixels.Slice(y * w, w);
                if (from < 0 || from >= h || Math.Abs(right) >= w)
                {
                    target.Clear();
                    continue;
                }
                // NOTE: with down == 0 source and target are the same row; CopyTo copies overlapping spans safely.
                Span<float> source = pixels.Slice(from * w, w);
                if (right >= 0)
                {
                    source[..(w - right)].CopyTo(target[right..]);
                    target[..right].Clear();
                }
                else
                {
                    source[-right..].CopyTo(target[..(w + right)]);
                    target[(w + right)..].Clear();
                }
            }
        }
    }
}
