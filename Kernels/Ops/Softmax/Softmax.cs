using System.Numerics.Tensors;

namespace GpuCnn.Kernels.Ops;

/// <summary>Row-wise softmax on the CPU. Rows are short (classes), so one thread walks them all.</summary>
internal static unsafe class SoftmaxCpu
{
    // x, y:(rows, columns)
    public static void Forward(float* x, float* y, int rows, int columns)
    {
        for (var r = 0; r < rows; r++)
        {
            // Shifted by the row maximum so that large logits cannot overflow exp().
            var input = new ReadOnlySpan<float>(x + (long)r * columns, columns);
            var output = new Span<float>(y + (long)r * columns, columns);
            TensorPrimitives.Subtract(input, TensorPrimitives.Max(input), output);
            TensorPrimitives.Exp(output, output);
            TensorPrimitives.Divide(output, TensorPrimitives.Sum(output), output);
        }
    }

    // dx += y * (dy - <dy, y>)
    public static void Backward(float* y, float* dy, float* dx, int rows, int columns)
    {
        for (var r = 0; r < rows; r++)
        {
            var offset = (long)r * columns;
            var dot = TensorPrimitives.Dot(
                new ReadOnlySpan<float>(dy + offset, columns), new ReadOnlySpan<float>(y + offset, columns));
            for (var c = 0; c < columns; c++)
            {
                dx[offset + c] += y[offset + c] * (dy[offset + c] - dot);
            }
        }
    }
}
