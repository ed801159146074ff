using System.Numerics.Tensors;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels
{
    // The checked entry points of row-wise softmax and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>Row-wise softmax. x, y:(rows, columns).</summary>
        public void SoftmaxForward(DeviceBuffer x, DeviceBuffer y, int rows, int columns)
        {
            CheckRange(x, 0, rows * columns, nameof(x));
            CheckRange(y, 0, rows * columns, nameof(y));
            SoftmaxForwardCore(x, y, rows, columns);
        }

        /// <summary>dx += y * (dy - sum(dy * y)) per row.</summary>
        public void SoftmaxBackward(DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns)
        {
            CheckRange(y, 0, rows * columns, nameof(y));
            CheckRange(dy, 0, rows * columns, nameof(dy));
            CheckRange(dx, 0, rows * columns, nameof(dx));
            SoftmaxBackwardCore(y, dy, dx, rows, columns);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void SoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns);
        protected abstract void SoftmaxBackwardCore(
            DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns);
#pragma warning restore CS1591
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's row-wise softmax.
    public sealed unsafe partial class CpuAccelerator
    {
        /// <inheritdoc />
        protected override void SoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns) =>
            SoftmaxCpu.Forward(Ptr(x), Ptr(y), rows, columns);

        /// <inheritdoc />
        protected override void SoftmaxBackwardCore(
            DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns) =>
            SoftmaxCpu.Backward(Ptr(y), Ptr(dy), Ptr(dx), rows, columns);
    }
}

namespace GpuCnn.Kernels.Ops
{
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
}
