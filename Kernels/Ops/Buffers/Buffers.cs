using System.Numerics.Tensors;

namespace GpuCnn.Kernels
{
    // The checked entry points of buffer-level kernels (fill, copy, add, sum of squares, scale)
    // and the hooks each backend implements for them.
    public abstract partial class Accelerator
    {
        /// <summary>Sets every element of <paramref name="buffer"/> to <paramref name="value"/>.</summary>
        public void Fill(DeviceBuffer buffer, float value)
        {
            CheckOwned(buffer, nameof(buffer));
            FillCore(buffer, value, buffer.Length);
        }

        /// <summary>Copies the first <paramref name="count"/> elements of one device buffer to another.</summary>
        public void Copy(DeviceBuffer source, DeviceBuffer destination, int count)
        {
            CheckRange(source, 0, count, nameof(source));
            CheckRange(destination, 0, count, nameof(destination));
            CopyCore(source, destination, count);
        }

        /// <summary>destination[i] += source[i] for the first <paramref name="count"/> elements.</summary>
        public void AddInto(DeviceBuffer source, DeviceBuffer destination, int count)
        {
            CheckRange(source, 0, count, nameof(source));
            CheckRange(destination, 0, count, nameof(destination));
            AddIntoCore(source, destination, count);
        }

        /// <summary>Sum of squares of the first <paramref name="count"/> elements (synchronises).</summary>
        public double SumOfSquares(DeviceBuffer buffer, int count)
        {
            CheckRange(buffer, 0, count, nameof(buffer));
            return SumOfSquaresCore(buffer, count);
        }

        /// <summary>buffer[i] *= scale for the first <paramref name="count"/> elements.</summary>
        public void Scale(DeviceBuffer buffer, float scale, int count)
        {
            CheckRange(buffer, 0, count, nameof(buffer));
            ScaleCore(buffer, scale, count);
        }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
        protected abstract void FillCore(DeviceBuffer buffer, float value, int count);
        protected abstract void CopyCore(DeviceBuffer source, DeviceBuffer destination, int count);
        protected abstract void AddIntoCore(DeviceBuffer source, DeviceBuffer destination, int count);
        protected abstract double SumOfSquaresCore(DeviceBuffer buffer, int count);
        protected abstract void ScaleCore(DeviceBuffer buffer, float scale, int count);
#pragma warning restore CS1591
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's buffer-level kernels (fill, copy, add, sum of squares, scale).
    public sealed unsafe partial class CpuAccelerator
    {
        /// <inheritdoc />
        protected override void FillCore(DeviceBuffer buffer, float value, int count) =>
            Cpu(buffer).Span[..count].Fill(value);

        /// <inheritdoc />
        protected override void CopyCore(DeviceBuffer source, DeviceBuffer destination, int count) =>
            Cpu(source).Span[..count].CopyTo(Cpu(destination).Span);

        /// <inheritdoc />
        protected override void AddIntoCore(DeviceBuffer source, DeviceBuffer destination, int count)
        {
            var dst = Cpu(destination).Span[..count];
            TensorPrimitives.Add(dst, Cpu(source).Span[..count], dst);
        }

        /// <inheritdoc />
        protected override double SumOfSquaresCore(DeviceBuffer buffer, int count)
        {
            var span = Cpu(buffer).Span[..count];
            double sum = 0;
            for (var i = 0; i < span.Length; i += 4096)
            {
                var part = span.Slice(i, Math.Min(4096, span.Length - i));
                sum += TensorPrimitives.SumOfSquares(part);
            }

            return sum;
        }

        /// <inheritdoc />
        protected override void ScaleCore(DeviceBuffer buffer, float scale, int count)
        {
            var span = Cpu(buffer).Span[..count];
            TensorPrimitives.Multiply(span, scale, span);
        }
    }
}
