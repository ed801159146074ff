using System.Numerics.Tensors;

namespace GpuCnn.Kernels.Ops;

/// <summary>Row-wise log-softmax on the CPU. Rows are short (classes), so one thread walks them all, as for
/// softmax; each row pass is a vectorised span operation.</summary>
internal static unsafe class LogSoftmaxCpu
{
    // x, y:(rows, columns)
    public static void Forward(float* x, float* y, int rows, int columns)
    {
        for (var r = 0; r < rows; r++)
        {
            var input = new ReadOnlySpan<float>(x + (long)r * columns, columns);
            var output = new Span<float>(y + (long)r * columns, columns);
            // Shifted by the row maximum: exp() cannot overflow, and the sum is at least 1, so its log is finite.
            // y = (x - max) - log(sum) as PyTorch rounds it; folding max into the log would lose the low bits of
            // a small y next to large logits.
            var max = TensorPrimitives.Max(input);
            TensorPrimitives.Subtract(input, max, output);
            TensorPrimitives.Exp(output, output);
            var logSum = MathF.Log(TensorPrimitives.Sum(output));
            TensorPrimitives.Subtract(input, max, output);
            TensorPrimitives.Subtract(output, logSum, output);
        }
    }

    // dx += dy - exp(y) * sum(dy)
    public static void Backward(float* y, float* dy, float* dx, int rows, int columns)
    {
        for (var r = 0; r < rows; r++)
        {
            var offset = (long)r * columns;
            var sum = TensorPrimitives.Sum(new ReadOnlySpan<float>(dy + offset, columns));
            for (var c = 0; c < columns; c++)
            {
                dx[offset + c] += dy[offset + c] - MathF.Exp(y[offset + c]) * sum;
            }
        }
    }
}
