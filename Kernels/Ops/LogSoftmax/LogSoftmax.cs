using System.Numerics.Tensors;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // The checked entry points of row-wise log-softmax and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>Row-wise log-softmax, y = x - max - log(sum(exp(x - max))). x, y:(rows, columns).</summary>
        public void LogSoftmaxForward(DeviceBuffer x, DeviceBuffer y, int rows, int columns)
        {
            CheckRange(x, 0, rows * columns, nameof(x));
            CheckRange(y, 0, rows * columns, nameof(y));
            LogSoftmaxForwardCore(x, y, rows, columns);
        }

        /// <summary>dx += dy - exp(y) * sum(dy) per row, from the forward output y.</summary>
        public void LogSoftmaxBackward(DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns)
        {
            CheckRange(y, 0, rows * columns, nameof(y));
            CheckRange(dy, 0, rows * columns, nameof(dy));
            CheckRange(dx, 0, rows * columns, nameof(dx));
            LogSoftmaxBackwardCore(y, dy, dx, rows, columns);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void LogSoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns);
        protected abstract void LogSoftmaxBackwardCore(
            DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns);
#pragma warning restore CS1591
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's row-wise log-softmax.
    public sealed unsafe partial class CpuAccelerator
    {
        /// <inheritdoc />
        protected override void LogSoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns) =>
            LogSoftmaxCpu.Forward(Ptr(x), Ptr(y), rows, columns);

        /// <inheritdoc />
        protected override void LogSoftmaxBackwardCore(
            DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns) =>
            LogSoftmaxCpu.Backward(Ptr(y), Ptr(dy), Ptr(dx), rows, columns);
    }
}

namespace GpuCnn.Kernels.Ops
{
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
}
