using System.Numerics.Tensors;

namespace GpuCnn.Kernels.Ops;

/// <summary>Bias addition over y:(outer, channels, inner) on the CPU.</summary>
internal static unsafe class BiasCpu
{
    public static void Forward(float* y, float* bias, int outer, int channels, int inner)
    {
        for (var o = 0; o < outer; o++)
        {
            var row = y + (long)o * channels * inner;
            if (inner == 1)
            {
                var span = new Span<float>(row, channels);
                TensorPrimitives.Add(span, new ReadOnlySpan<float>(bias, channels), span);
                continue;
            }

            for (var c = 0; c < channels; c++)
            {
                var span = new Span<float>(row + (long)c * inner, inner);
                TensorPrimitives.Add(span, bias[c], span);
            }
        }
    }

    public static void Backward(float* dy, float* db, int outer, int channels, int inner)
    {
        for (var o = 0; o < outer; o++)
        {
            var row = dy + (long)o * channels * inner;
            if (inner == 1)
            {
                var span = new Span<float>(db, channels);
                TensorPrimitives.Add(span, new ReadOnlySpan<float>(row, channels), span);
                continue;
            }

            for (var c = 0; c < channels; c++)
            {
                db[c] += TensorPrimitives.Sum(new ReadOnlySpan<float>(row + (long)c * inner, inner));
            }
        }
    }
}
