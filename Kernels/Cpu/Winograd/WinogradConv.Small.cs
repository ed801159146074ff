using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuCnn.Kernels.Cpu.Winograd;

/// <summary>
/// The transforms for 4x4 maps padded by 1 (ResNet-18's and VGG-16's last stage on CIFAR): each channel of an image
/// is one tile, so the row-wise transforms would fill one lane in eight. Here 16 images go side by side instead:
/// their 4x4 planes of one channel are turned (a 16x16 transpose in registers) so that each vector holds one map
/// position of the 16 images, the transform runs on whole vectors, and its 36 points are stored as 16 consecutive
/// tiles; the output side runs the other way round.
/// </summary>
internal sealed unsafe partial class WinogradConv
{
    private static readonly Vector512<int>[] TransposeIndex = MakeTransposeIndex();

    // Maps of 4x4 with a 4x4 result and padding 1 on each side: one tile per image, whose border is the padding.
    private bool SmallMaps => inH == 4 && inW == 4 && outH == 4 && outW == 4 && padTop == 1 && padLeft == 1;

    // V[xi][c][t0 + l] for the images image0 + l, l < count (the block's tile index is its image index), at
    // target[xi * pointStride + l]; lanes past count are zero and go to the slack after the block's tiles.
    private void TransformInputSmall(int c, int image0, int count, float* target, long pointStride)
    {
        var p = stackalloc Vector512<float>[16];
        for (var l = 0; l < 16; l++)
        {
            p[l] = l < count ? Load(source + ((long)(image0 + l) * inC + c) * 16) : Vector512<float>.Zero;
        }

        Transpose(p);
        var zero = Vector512<float>.Zero;
        var t = stackalloc Vector512<float>[24];
        for (var r = 0; r < 4; r++)
        {
            InputTransform(zero, p[4 * r], p[4 * r + 1], p[4 * r + 2], p[4 * r + 3], zero, out t[6 * r],
                out t[6 * r + 1], out t[6 * r + 2], out t[6 * r + 3], out t[6 * r + 4], out t[6 * r + 5]);
        }

        for (var b = 0; b < 6; b++)
        {
            InputTransform(zero, t[b], t[6 + b], t[12 + b], t[18 + b], zero, out var q0, out var q1, out var q2,
                out var q3, out var q4, out var q5);
            var d = target + b * pointStride;
            Store(q0, d);
            Store(q1, d + 6 * pointStride);
            Store(q2, d + 12 * pointStride);
            Store(q3, d + 18 * pointStride);
            Store(q4, d + 24 * pointStride);
            Store(q5, d + 30 * pointStride);
        }
    }

    // Output channel k of the images image0 + l, l < count, from s[xi * pointStride + l].
    private void TransformOutputSmall(float* s, long pointStride, int k, int image0, int count)
    {
        var h = stackalloc Vector512<float>[24];
        for (var a = 0; a < 6; a++)
        {
            var row = s + 6 * a * pointStride;
            OutputTransform(Load(row), Load(row + pointStride), Load(row + 2 * pointStride),
                Load(row + 3 * pointStride), Load(row + 4 * pointStride), Load(row + 5 * pointStride),
                out h[4 * a], out h[4 * a + 1], out h[4 * a + 2], out h[4 * a + 3]);
        }

        var p = stackalloc Vector512<float>[16];
        for (var col = 0; col < 4; col++)
        {
            OutputTransform(h[col], h[4 + col], h[8 + col], h[12 + col], h[16 + col], h[20 + col], out p[col],
                out p[4 + col], out p[8 + col], out p[12 + col]);
        }

        Transpose(p);
        var add = Vector512.Create(bias == null ? 0f : bias[k]);
        for (var l = 0; l < count; l++)
        {
            var plane = destination + ((long)(image0 + l) * outC + k) * 16;
            Store(backwardData ? p[l] + Load(plane) : p[l] + add, plane);
        }
    }

    // dM[xi][k][l] = (A dy A^T)[xi] for output-gradient channel k of the images image0 + l, l < count, to
    // target[xi * pointStride + l]; the bias gradient is summed image after image, as on the general path.
    private void TransformOutputGradientSmall(int k, int image0, int count, float* target, long pointStride)
    {
        var p = stackalloc Vector512<float>[16];
        for (var l = 0; l < 16; l++)
        {
            var plane = gradient + ((long)(image0 + l) * outC + k) * 16;
            if (l < count && bias != null)
            {
                bias[k] += Sum(plane, 16);
            }

            p[l] = l < count ? Load(plane) : Vector512<float>.Zero;
        }

        Transpose(p);
        var z = stackalloc Vector512<float>[24];
        for (var r = 0; r < 4; r++)
        {
            AdjointOutput(p[4 * r], p[4 * r + 1], p[4 * r + 2], p[4 * r + 3], out z[6 * r], out z[6 * r + 1],
                out z[6 * r + 2], out z[6 * r + 3], out z[6 * r + 4], out z[6 * r + 5]);
        }

        for (var b = 0; b < 6; b++)
        {
            AdjointOutput(z[b], z[6 + b], z[12 + b], z[18 + b], out var q0, out var q1, out var q2, out var q3,
                out var q4, out var q5);
            var d = target + b * pointStride;
            Store(q0, d);
            Store(q1, d + 6 * pointStride);
            Store(q2, d + 12 * pointStride);
            Store(q3, d + 18 * pointStride);
            Store(q4, d + 24 * pointStride);
            Store(q5, d + 30 * pointStride);
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
