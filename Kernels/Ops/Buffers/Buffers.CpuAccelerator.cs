using System.Numerics.Tensors;

namespace GpuCnn.Kernels.Cpu;

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
