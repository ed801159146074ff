using System.Numerics.Tensors;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

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

        /// <summary>destination[i] = a[i] + b[i] for the first <paramref name="count"/> elements; destination may be
        /// <paramref name="a"/> itself but not <paramref name="b"/> (unless a is b too).</summary>
        public void Add(DeviceBuffer a, DeviceBuffer b, DeviceBuffer destination, int count)
        {
            CheckRange(a, 0, count, nameof(a));
            CheckRange(b, 0, count, nameof(b));
            CheckRange(destination, 0, count, nameof(destination));
            if (ReferenceEquals(destination, b) && !ReferenceEquals(a, b))
            {
                throw new ArgumentException("Add writes a into the destination first, so it cannot be b; swap a and b.",
                    nameof(destination));
            }

            AddCore(a, b, destination, count);
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

        /// <summary>destination = a + b. By default a copy of a and an add of b; a backend with a kernel that reads
        /// both and writes once saves a pass over the destination.</summary>
        protected virtual void AddCore(DeviceBuffer a, DeviceBuffer b, DeviceBuffer destination, int count)
        {
            if (!ReferenceEquals(a, destination))
            {
                CopyCore(a, destination, count);
            }

            AddIntoCore(b, destination, count);
        }
    }
}

namespace GpuCnn.Kernels.Cpu
{
    // The CPU backend's buffer-level kernels (fill, copy, add, sum of squares, scale).
    public sealed unsafe partial class CpuAccelerator
    {
        private ChunkJob<BufferOperands>? bufferJob;

        // Fill, copy and add are memory-bound; on large buffers two cores stream more than one. Each element is
        // written by one chunk with the same operation whatever the split, so results never depend on it.
        private ChunkJob<BufferOperands> BufferJob => bufferJob ??= new(workers);

        /// <inheritdoc />
        protected override void FillCore(DeviceBuffer buffer, float value, int count)
        {
            BufferJob.Operands = new BufferOperands { Destination = Ptr(buffer), Value = value };
            BufferJob.Launch(&BuffersCpu.Fill, count);
        }

        /// <inheritdoc />
        protected override void CopyCore(DeviceBuffer source, DeviceBuffer destination, int count)
        {
            BufferJob.Operands = new BufferOperands { Source = Ptr(source), Destination = Ptr(destination) };
            BufferJob.Launch(&BuffersCpu.Copy, count);
        }

        /// <inheritdoc />
        protected override void AddIntoCore(DeviceBuffer source, DeviceBuffer destination, int count)
        {
            BufferJob.Operands = new BufferOperands { Source = Ptr(source), Destination = Ptr(destination) };
            BufferJob.Launch(&BuffersCpu.AddInto, count);
        }

        /// <inheritdoc />
        protected override void AddCore(DeviceBuffer a, DeviceBuffer b, DeviceBuffer destination, int count)
        {
            BufferJob.Operands = new BufferOperands { Source = Ptr(a), Other = Ptr(b), Destination = Ptr(destination) };
            BufferJob.Launch(&BuffersCpu.Add, count);
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

namespace GpuCnn.Kernels.Ops
{
    /// <summary>The operands of a buffer kernel: fill writes Value into Destination; copy and add read Source, and
    /// the three-operand add Source and Other.</summary>
    internal unsafe struct BufferOperands
    {
        public float* Source;
        public float* Other;
        public float* Destination;
        public float Value;
    }

    /// <summary>Chunk bodies of the CPU's fill, copy and add.</summary>
    internal static unsafe class BuffersCpu
    {
        public static void Fill(ChunkJob<BufferOperands> j, int start, int end) =>
            new Span<float>(j.Operands.Destination + start, end - start).Fill(j.Operands.Value);

        public static void Copy(ChunkJob<BufferOperands> j, int start, int end) =>
            new ReadOnlySpan<float>(j.Operands.Source + start, end - start)
                .CopyTo(new Span<float>(j.Operands.Destination + start, end - start));

        public static void Add(ChunkJob<BufferOperands> j, int start, int end) =>
            TensorPrimitives.Add(new ReadOnlySpan<float>(j.Operands.Source + start, end - start),
                new ReadOnlySpan<float>(j.Operands.Other + start, end - start),
                new Span<float>(j.Operands.Destination + start, end - start));

        public static void AddInto(ChunkJob<BufferOperands> j, int start, int end)
        {
            var destination = new Span<float>(j.Operands.Destination + start, end - start);
            TensorPrimitives.Add(destination, new ReadOnlySpan<float>(j.Operands.Source + start, end - start),
                destination);
        }
    }
}
