using System.Numerics;
using System.Numerics.Tensors;
using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Kernels.Ops;

/// <summary>
/// Local response normalisation on the CPU. A work item is a strip of <see cref="Width"/> positions of one image
/// through all its channels: the strip's per-channel terms (squares forward, dy * y / scale backward) go once into
/// the worker's scratch, and each channel's window sum reads them from there, vectorised along the strip.
/// </summary>
internal sealed unsafe class LrnCpu : IParallelJob
{
    // Positions per strip: a few vectors wide, so that a strip's scratch, C * Width floats, stays in cache.
    private const int Width = 64;

    // Below this many elements per work item, waking a second core costs more than it saves.
    private const int MinItemElements = 1 << 14;

    private readonly CpuWorkers workers;
    private readonly CpuScratch scratch;
    private LrnGeometry g;
    private bool backward;
    private int stripsPerImage;
    private int stripsPerItem;
    private float* x;
    private float* y;
    private float* scale;
    private float* dy;
    private float* dx;

    public LrnCpu(CpuWorkers workers, CpuScratch scratch)
    {
        this.workers = workers;
        this.scratch = scratch;
    }

    // x:(N,C,Inner) y:(N,C,Inner) scale:(N,C,Inner)
    public void Forward(in LrnGeometry geometry, float* input, float* output, float* scaleOut)
    {
        x = input;
        y = output;
        scale = scaleOut;
        Launch(geometry, isBackward: false);
    }

    // x, y, scale, dy:(N,C,Inner); dx:(N,C,Inner) +=
    public void Backward(in LrnGeometry geometry, float* input, float* output, float* savedScale, float* dOutput,
        float* dInput)
    {
        x = input;
        y = output;
        scale = savedScale;
        dy = dOutput;
        dx = dInput;
        Launch(geometry, isBackward: true);
    }

    public void Run(int index, int worker)
    {
        var strips = g.N * stripsPerImage;
        var terms = scratch.ForWorker(worker, (g.C + 1) * Width);
        for (int s = index * stripsPerItem, end = Math.Min(strips, s + stripsPerItem); s < end; s++)
        {
            var first = s % stripsPerImage * Width;
            var start = (long)(s / stripsPerImage) * g.C * g.Inner + first;
            var width = Math.Min(Width, g.Inner - first);
            if (backward)
            {
                BackwardStrip(start, width, terms);
            }
            else
            {
                ForwardStrip(start, width, terms);
            }
        }
    }

    // scale = K + Alpha/Size * (window sum of x^2), y = x * scale^-Beta, for channels c - Size/2 .. c + (Size-1)/2.
    private void ForwardStrip(long start, int width, float* squares)
    {
        int channels = g.C, inner = g.Inner;
        for (var c = 0; c < channels; c++)
        {
            var row = x + start + (long)c * inner;
            var sq = squares + c * Width;
            var j = 0;
            for (; j + Vector<float>.Count <= width; j += Vector<float>.Count)
            {
                var v = Vector.Load(row + j);
                (v * v).Store(sq + j);
            }

            for (; j < width; j++)
            {
                sq[j] = row[j] * row[j];
            }
        }

        var a = g.Alpha / g.Size;
        for (var c = 0; c < channels; c++)
        {
            var offset = start + (long)c * inner;
            WindowSum(squares, Math.Max(0, c - g.Size / 2), Math.Min(channels - 1, c + (g.Size - 1) / 2), width, g.K,
                a, scale + offset);
            NegativePower(scale + offset, y + offset, width, g.Beta);
            var result = new Span<float>(y + offset, width);
            TensorPrimitives.Multiply(result, new ReadOnlySpan<float>(x + offset, width), result);
        }
    }

    // dx_j += dy_j scale_j^-Beta - 2 Alpha/Size Beta x_j * sum of dy_c y_c / scale_c over the channels c whose
    // window holds j: c = j - (Size-1)/2 .. j + Size/2 (the forward window, mirrored).
    private void BackwardStrip(long start, int width, float* terms)
    {
        int channels = g.C, inner = g.Inner;
        for (var c = 0; c < channels; c++)
        {
            var offset = start + (long)c * inner;
            var r = new Span<float>(terms + c * Width, width);
            TensorPrimitives.Multiply(new ReadOnlySpan<float>(dy + offset, width),
                new ReadOnlySpan<float>(y + offset, width), r);
            TensorPrimitives.Divide(r, new ReadOnlySpan<float>(scale + offset, width), r);
        }

        var factor = terms + channels * Width;
        var coefficient = (float)(-2.0 * g.Alpha / g.Size * g.Beta);
        for (var c = 0; c < channels; c++)
        {
            var offset = start + (long)c * inner;
            NegativePower(scale + offset, factor, width, g.Beta);
            float* lo = terms + Math.Max(0, c - (g.Size - 1) / 2) * Width;
            float* hi = terms + Math.Min(channels - 1, c + g.Size / 2) * Width;
            float* xr = x + offset, dyr = dy + offset, dxr = dx + offset;
            var k = new Vector<float>(coefficient);
            var j = 0;
            for (; j + Vector<float>.Count <= width; j += Vector<float>.Count)
            {
                var sum = Vector.Load(lo + j);
                for (var t = lo + Width; t <= hi; t += Width)
                {
                    sum += Vector.Load(t + j);
                }

                var step = Vector.Load(dyr + j) * Vector.Load(factor + j) + k * Vector.Load(xr + j) * sum;
                (Vector.Load(dxr + j) + step).Store(dxr + j);
            }

            for (; j < width; j++)
            {
                var sum = lo[j];
                for (var t = lo + Width; t <= hi; t += Width)
                {
                    sum += t[j];
                }

                dxr[j] += dyr[j] * factor[j] + coefficient * xr[j] * sum;
            }
        }
    }

    // output = k + a * (rows first .. last of terms, summed in channel order)
    private static void WindowSum(float* terms, int first, int last, int width, float k, float a, float* output)
    {
        float* lo = terms + first * Width, hi = terms + last * Width;
        var (vk, va) = (new Vector<float>(k), new Vector<float>(a));
        var j = 0;
        for (; j + Vector<float>.Count <= width; j += Vector<float>.Count)
        {
            var sum = Vector.Load(lo + j);
            for (var t = lo + Width; t <= hi; t += Width)
            {
                sum += Vector.Load(t + j);
            }

            (vk + va * sum).Store(output + j);
        }

        for (; j < width; j++)
        {
            var sum = lo[j];
            for (var t = lo + Width; t <= hi; t += Width)
            {
                sum += t[j];
            }

            output[j] = k + a * sum;
        }
    }

    // output = s^-beta. AlexNet's 0.75 (and 0.5 and 1) take square roots and a division, correctly rounded and
    // several times faster than a general power; other exponents use TensorPrimitives.Pow.
    private static void NegativePower(float* s, float* output, int width, float beta)
    {
        var j = 0;
        if (beta == 0.75f)
        {
            for (; j + Vector<float>.Count <= width; j += Vector<float>.Count)
            {
                var v = Vector.Load(s + j);
                (Vector.SquareRoot(Vector.SquareRoot(v)) / v).Store(output + j);
            }

            for (; j < width; j++)
            {
                output[j] = MathF.Sqrt(MathF.Sqrt(s[j])) / s[j];
            }
        }
        else if (beta == 0.5f)
        {
            for (; j + Vector<float>.Count <= width; j += Vector<float>.Count)
            {
                (Vector<float>.One / Vector.SquareRoot(Vector.Load(s + j))).Store(output + j);
            }

            for (; j < width; j++)
            {
                output[j] = 1f / MathF.Sqrt(s[j]);
            }
        }
        else if (beta == 1f)
        {
            TensorPrimitives.Reciprocal(new ReadOnlySpan<float>(s, width), new Span<float>(output, width));
        }
        else
        {
            TensorPrimitives.Pow(new ReadOnlySpan<float>(s, width), -beta, new Span<float>(output, width));
        }
    }

    private void Launch(in LrnGeometry geometry, bool isBackward)
    {
        g = geometry;
        backward = isBackward;
        stripsPerImage = (g.Inner + Width - 1) / Width;
        var strips = g.N * stripsPerImage;

        // Items of at least MinItemElements, and at most four per worker so that no core idles long at the end.
        var perStrip = (long)g.C * Math.Min(Width, g.Inner);
        var minimum = (int)Math.Min(strips, (MinItemElements + perStrip - 1) / perStrip);
        stripsPerItem = Math.Max(minimum, (strips + workers.Count * 4 - 1) / (workers.Count * 4));
        var items = (strips + stripsPerItem - 1) / stripsPerItem;
        scratch.Reserve((g.C + 1) * Width);
        workers.Run(this, items);
    }
}
