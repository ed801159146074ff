using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuCnn.Kernels.Cpu.Winograd;

/// <summary>
/// The transforms for 4x4 and 8x8 maps padded by 1 (ResNet-18's and VGG-16's last stages on CIFAR): an image's
/// channel has one or four tiles, so the row-wise transforms would fill one or two lanes in eight. Here 16 images go
/// side by side instead: their planes of one channel are turned (16x16 transposes in registers) so that each vector
/// holds one map position of the 16 images, the transform runs on whole vectors, and its 36 points are stored as 16
/// consecutive columns; the output side runs the other way round. A block's columns are then tile-major, tile
/// t of image i at t * images + i, which only the transforms need to agree on.
/// </summary>
internal sealed unsafe partial class WinogradConv
{
    private static readonly Vector512<int>[] TransposeIndex = MakeTransposeIndex();
    private static readonly Vector512<int> LaneIndex = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        13, 14, 15);

    // The side of square maps of 4 or 8 with a result of the same size and padding 1 on each side, whose tiles
    // cover the map exactly; 0 for other shapes.
    private int SmallSide => inH == inW && outH == inH && outW == inW && (inH == 4 || inH == 8) && padTop == 1 &&
        padLeft == 1 ? inH : 0;

    // V[xi][c][tile * tileStride + l] for the images image0 + l, l < count, at target[xi * pointStride + ...].
    private void TransformInputSmall(int c, int image0, int count, float* target, long pointStride, long tileStride)
    {
        var side = inH;
        var p = stackalloc Vector512<float>[64];
        LoadPlanes(source, inC, c, image0, count, side, p);
        var zero = Vector512<float>.Zero;
        var t = stackalloc Vector512<float>[36];
        var window = stackalloc Vector512<float>[6];
        for (var tile = 0; tile < side * side / 16; tile++)
        {
            var (th, tw) = Math.DivRem(tile, side / 4);
            for (var i = 0; i < 6; i++)
            {
                var y = 4 * th - 1 + i;
                for (var j = 0; j < 6; j++)
                {
                    var x = 4 * tw - 1 + j;
                    window[j] = (uint)y < (uint)side && (uint)x < (uint)side ? p[y * side + x] : zero;
                }

                InputTransform(window[0], window[1], window[2], window[3], window[4], window[5], out t[6 * i],
                    out t[6 * i + 1], out t[6 * i + 2], out t[6 * i + 3], out t[6 * i + 4], out t[6 * i + 5]);
            }

            for (var b = 0; b < 6; b++)
            {
                InputTransform(t[b], t[6 + b], t[12 + b], t[18 + b], t[24 + b], t[30 + b], out var q0, out var q1,
                    out var q2, out var q3, out var q4, out var q5);
                StoreColumn(q0, q1, q2, q3, q4, q5, target + tile * tileStride + b * pointStride, pointStride,
                    count);
            }
        }
    }

    // Output channel k of the images image0 + l, l < count, from s[xi * pointStride + tile * tileStride + l].
    private void TransformOutputSmall(float* s, long pointStride, long tileStride, int k, int image0, int count)
    {
        var side = outH;
        var h = stackalloc Vector512<float>[24];
        var p = stackalloc Vector512<float>[64];
        for (var tile = 0; tile < side * side / 16; tile++)
        {
            var (th, tw) = Math.DivRem(tile, side / 4);
            for (var a = 0; a < 6; a++)
            {
                var row = s + tile * tileStride + 6 * a * pointStride;
                OutputTransform(Load(row), Load(row + pointStride), Load(row + 2 * pointStride),
                    Load(row + 3 * pointStride), Load(row + 4 * pointStride), Load(row + 5 * pointStride),
                    out h[4 * a], out h[4 * a + 1], out h[4 * a + 2], out h[4 * a + 3]);
            }

            var corner = p + 4 * th * side + 4 * tw;
            for (var col = 0; col < 4; col++)
            {
                OutputTransform(h[col], h[4 + col], h[8 + col], h[12 + col], h[16 + col], h[20 + col],
                    out corner[col], out corner[side + col], out corner[2 * side + col], out corner[3 * side + col]);
            }
        }

        for (var q = 0; q < side * side; q += 16)
        {
            Transpose(p + q);
        }

        var add = Vector512.Create(bias == null ? 0f : bias[k]);
        for (var l = 0; l < count; l++)
        {
            var plane = destination + ((long)(image0 + l) * outC + k) * side * side;
            for (var q = 0; q < side * side / 16; q++)
            {
                var to = plane + 16 * q;
                var value = p[16 * q + l];
                Store(backwardData ? value + Load(to) : value + add, to);
            }
        }
    }

    // dM[xi][k][tile * tileStride + l] = (A dy A^T)[xi] for output-gradient channel k of the images image0 + l,
    // l < count, at target[xi * pointStride + ...]; the bias gradient is summed image after image, as on the
    // general path.
    private void TransformOutputGradientSmall(int k, int image0, int count, float* target, long pointStride,
        long tileStride)
    {
        var side = outH;
        if (bias != null)
        {
            for (var l = 0; l < count; l++)
            {
                bias[k] += Sum(gradient + ((long)(image0 + l) * outC + k) * side * side, side * side);
            }
        }

        var p = stackalloc Vector512<float>[64];
        LoadPlanes(gradient, outC, k, image0, count, side, p);
        var z = stackalloc Vector512<float>[24];
        for (var tile = 0; tile < side * side / 16; tile++)
        {
            var (th, tw) = Math.DivRem(tile, side / 4);
            var corner = p + 4 * th * side + 4 * tw;
            for (var r = 0; r < 4; r++)
            {
                var row = corner + r * side;
                AdjointOutput(row[0], row[1], row[2], row[3], out z[6 * r], out z[6 * r + 1], out z[6 * r + 2],
                    out z[6 * r + 3], out z[6 * r + 4], out z[6 * r + 5]);
            }

            for (var b = 0; b < 6; b++)
            {
                AdjointOutput(z[b], z[6 + b], z[12 + b], z[18 + b], out var q0, out var q1, out var q2, out var q3,
                    out var q4, out var q5);
                StoreColumn(q0, q1, q2, q3, q4, q5, target + tile * tileStride + b * pointStride, pointStride,
                    count);
            }
        }
    }

    // p[position] = the value at that position of channel c's plane for the images image0 + lane (zero past count).
    private static void LoadPlanes(float* tensor, int channels, int c, int image0, int count, int side,
        Vector512<float>* p)
    {
        for (var q = 0; q < side * side; q += 16)
        {
            for (var l = 0; l < 16; l++)
            {
                p[q + l] = l < count
                    ? Load(tensor + ((long)(image0 + l) * channels + c) * side * side + q)
                    : Vector512<float>.Zero;
            }

            Transpose(p + q);
        }
    }

    // Column b of a tile's 6x6 transformed points, rows 0..5 (points b, 6 + b, ..., 30 + b), from d on.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumn(Vector512<float> q0, Vector512<float> q1, Vector512<float> q2,
        Vector512<float> q3, Vector512<float> q4, Vector512<float> q5, float* d, long pointStride, int count)
    {
        StoreLanes(q0, d, count);
        StoreLanes(q1, d + 6 * pointStride, count);
        StoreLanes(q2, d + 12 * pointStride, count);
        StoreLanes(q3, d + 18 * pointStride, count);
        StoreLanes(q4, d + 24 * pointStride, count);
        StoreLanes(q5, d + 30 * pointStride, count);
    }

    // The first count lanes of value to d: a ragged group of images must not overwrite the next tile's columns.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(Vector512<float> value, float* d, int count)
    {
        if (count == 16)
        {
            Store(value, d);
        }
        else
        {
            Avx512F.MaskStore(d, Vector512.LessThan(LaneIndex, Vector512.Create(count)).AsSingle(), value);
        }
    }

    // A^T applied to (m0..m5), 16 lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform(Vector512<float> m0, Vector512<float> m1, Vector512<float> m2,
        Vector512<float> m3, Vector512<float> m4, Vector512<float> m5, out Vector512<float> y0,
        out Vector512<float> y1, out Vector512<float> y2, out Vector512<float> y3)
    {
        var s1 = m1 + m2;
        var d1 = m1 - m2;
        var s2 = m3 + m4;
        var d2 = m3 - m4;
        y0 = m0 + s1 + s2;
        y1 = d1 + d2 * 2f;
        y2 = s1 + s2 * 4f;
        y3 = d1 + d2 * 8f + m5;
    }

    // A applied to (y0..y3), 16 lanes: the adjoint of OutputTransform.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AdjointOutput(Vector512<float> y0, Vector512<float> y1, Vector512<float> y2,
        Vector512<float> y3, out Vector512<float> z0, out Vector512<float> z1, out Vector512<float> z2,
        out Vector512<float> z3, out Vector512<float> z4, out Vector512<float> z5)
    {
        var even = y0 + y2;
        var odd = y1 + y3;
        var even4 = y0 + y2 * 4f;
        var odd8 = y1 * 2f + y3 * 8f;
        z0 = y0;
        z1 = even + odd;
        z2 = even - odd;
        z3 = even4 + odd8;
        z4 = even4 - odd8;
        z5 = y3;
    }

    // p[i][j] and p[j][i] swapped for all 16x16: one bit of the row and lane index at a time (8, 4, 2, 1), each
    // pair of rows that differ in that bit exchanging the lanes where the bits differ.
    private static void Transpose(Vector512<float>* p)
    {
        for (var round = 0; round < 4; round++)
        {
            var s = 8 >> round;
            var lo = TransposeIndex[2 * round];
            var hi = TransposeIndex[2 * round + 1];
            for (var i = 0; i < 16; i++)
            {
                if ((i & s) != 0)
                {
                    continue;
                }

                var a = p[i];
                var b = p[i + s];
                p[i] = Avx512F.PermuteVar16x32x2(a, lo, b);
                p[i + s] = Avx512F.PermuteVar16x32x2(a, hi, b);
            }
        }
    }

    // Round r swaps bit s = 8 >> r (indices 0-15 pick from the low row, 16-31 from the high row): the low row keeps
    // its lanes without s and takes the high row's lane j - s where j has s; the high row takes the low row's lane
    // j + s where j lacks s and keeps its own lanes with s.
    private static Vector512<int>[] MakeTransposeIndex()
    {
        var result = new Vector512<int>[8];
        var lo = new int[16];
        var hi = new int[16];
        for (var round = 0; round < 4; round++)
        {
            var s = 8 >> round;
            for (var j = 0; j < 16; j++)
            {
                lo[j] = (j & s) == 0 ? j : 16 + j - s;
                hi[j] = (j & s) == 0 ? j + s : 16 + j;
            }

            result[2 * round] = Vector512.Create(lo);
            result[2 * round + 1] = Vector512.Create(hi);
        }

        return result;
    }
}
