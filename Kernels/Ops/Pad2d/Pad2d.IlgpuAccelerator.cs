using GpuCnn.Kernels.Ops;
using ILGPU;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's 2-d padding.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void Pad2dForwardCore(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        Launch(Pad2dIlgpuKernels.Forward, g.OutputLength, View(x), View(y), g);

    /// <inheritdoc />
    protected override void Pad2dBackwardCore(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        Launch(Pad2dIlgpuKernels.Backward, g.InputLength, View(dy), View(dx), g);
}

/// <summary>
/// Explicit padding, x:(N,C,H,W) y:(N,C,OH,OW). Forward: one thread per output. Backward: one thread per input
/// pixel, gathering the outputs that read it, so that no two threads write one element and no atomics are needed.
/// </summary>
internal static class Pad2dIlgpuKernels
{
    public static void Forward(Index1D o, ArrayView<float> x, ArrayView<float> y, Pad2dGeometry g)
    {
        int oh = g.OutH, ow = g.OutW;
        int plane = o / (oh * ow), row = o / ow % oh, col = o % ow;
        int h = Source(row - g.Top, g.H, g.Mode), w = Source(col - g.Left, g.W, g.Mode);
        if (h < 0 || w < 0)
        {
            y[o] = g.Mode == PaddingMode.Constant ? g.Value : 0f;
        }
        else
        {
            y[o] = x[(plane * g.H + h) * g.W + w];
        }
    }

    // The readers are visited in raster order of dy (border before, interior, border after, per axis), as the
    // CPU scatters them, so the sums round alike.
    public static void Backward(Index1D i, ArrayView<float> dy, ArrayView<float> dx, Pad2dGeometry g)
    {
        int oh = g.OutH, ow = g.OutW;
        int plane = i / (g.H * g.W), h = i / g.W % g.H, w = i % g.W;
        var rows = Readers(h, g.H, g.Top, g.Bottom, g.Mode);
        var cols = Readers(w, g.W, g.Left, g.Right, g.Mode);
        var grad = plane * oh * ow;
        var sum = dx[i];
        for (var r = 0; r < 3; r++)
        {
            for (var row = rows.Lo(r); row < rows.Hi(r); row++)
            {
                for (var c = 0; c < 3; c++)
                {
                    for (var col = cols.Lo(c); col < cols.Hi(c); col++)
                    {
                        sum += dy[grad + row * ow + col];
                    }
                }
            }
        }

        dx[i] = sum;
    }

    // The input index that position j of an axis of n pixels reads (j counted from the first interior position,
    // so j < 0 lies in the border before the input), or -1 for a constant border. As Pad2dCpu.Source.
    private static int Source(int j, int n, PaddingMode mode)
    {
        if (j >= 0 && j < n)
        {
            return j;
        }

        var before = j < 0;
        return mode switch
        {
            PaddingMode.Replicate => before ? 0 : n - 1,
            PaddingMode.Reflect => before ? -j : 2 * (n - 1) - j,
            PaddingMode.Symmetric => before ? -j - 1 : 2 * n - 1 - j,
            PaddingMode.Circular => before ? j + n : j - n,
            _ => -1,
        };
    }

    // The output positions along one axis that read input pixel i, as three ascending ranges of output indices:
    // the border before the input, the interior position, the border after it. Mirrored and wrapped borders hold
    // at most one reader each (the amounts are at most the size); a replicated border reads the edge pixel from
    // every position.
    private static AxisReaders Readers(int i, int n, int before, int after, PaddingMode mode)
    {
        // j: a reader's position counted from the first interior one; each border starts empty.
        int jb = 0, jbEnd = 0, ja = n, jaEnd = n;
        if (mode == PaddingMode.Replicate)
        {
            jb = i == 0 ? -before : 0;
            jaEnd = i == n - 1 ? n + after : n;
        }
        else if (mode == PaddingMode.Reflect)
        {
            if (i >= 1 && i <= before)
            {
                jb = -i;
                jbEnd = jb + 1;
            }

            if (i <= n - 2 && i > n - 2 - after)
            {
                ja = 2 * (n - 1) - i;
                jaEnd = ja + 1;
            }
        }
        else if (mode == PaddingMode.Symmetric)
        {
            if (i < before)
            {
                jb = -i - 1;
                jbEnd = jb + 1;
            }

            if (i >= n - after)
            {
                ja = 2 * n - 1 - i;
                jaEnd = ja + 1;
            }
        }
        else if (mode == PaddingMode.Circular)
        {
            if (i >= n - before)
            {
                jb = i - n;
                jbEnd = jb + 1;
            }

            if (i < after)
            {
                ja = i + n;
                jaEnd = ja + 1;
            }
        }

        return new AxisReaders(jb + before, jbEnd + before, i + before, i + before + 1, ja + before, jaEnd + before);
    }

    // Three half-open ranges [Lo(k), Hi(k)) of output positions; a struct rather than arrays, which kernels lack.
    private readonly record struct AxisReaders(int Lo0, int Hi0, int Lo1, int Hi1, int Lo2, int Hi2)
    {
        public int Lo(int k) => k == 0 ? Lo0 : k == 1 ? Lo1 : Lo2;

        public int Hi(int k) => k == 0 ? Hi0 : k == 1 ? Hi1 : Hi2;
    }
}
