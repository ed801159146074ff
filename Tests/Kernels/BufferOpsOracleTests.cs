using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>The small device-memory ops every step uses (fill, copy, add, scale, sum of squares), each limited to
/// the first count elements.</summary>
public sealed class BufferOpsOracleTests
{
    private const int Length = 70011;

    // Fewer elements than the buffers hold, so that a kernel running to the end of the buffer shows.
    private const int Count = 70001;

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void CopyAddAndScaleTouchOnlyTheirRange(string accelerator)
    {
        var (a, b) = (RandomTensors.Uniform(Length, 1), RandomTensors.Uniform(Length, 2));
        using var acc = Accelerators.Create(accelerator);
        var (source, copied, summed, scaled) = (acc.Upload(a), acc.Upload(b), acc.Upload(b), acc.Upload(b));
        acc.Copy(source, copied, Count);
        acc.AddInto(source, summed, Count);
        acc.Scale(scaled, -2.5f, Count);

        double[] Expect(Func<int, double> inside) => Enumerable.Range(0, Length)
            .Select(i => i < Count ? inside(i) : b[i]).ToArray();
        TensorAssert.Close(Expect(i => a[i]), copied.ToArray(), 0, 0, "copy");
        TensorAssert.Close(Expect(i => (double)a[i] + b[i]), summed.ToArray(), 0, 1e-7, "add into");
        TensorAssert.Close(Expect(i => -2.5 * b[i]), scaled.ToArray(), 0, 1e-7, "scale");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void AddWritesTheSumOfTwoBuffersOnlyInItsRange(string accelerator)
    {
        var (a, b, c) = (RandomTensors.Uniform(Length, 4), RandomTensors.Uniform(Length, 5),
            RandomTensors.Uniform(Length, 6));
        using var acc = Accelerators.Create(accelerator);
        var (first, second, sum, inPlace) = (acc.Upload(a), acc.Upload(b), acc.Upload(c), acc.Upload(a));
        acc.Add(first, second, sum, Count);
        acc.Add(inPlace, second, inPlace, Count);

        // Float addition is exact to the rounding of the one sum, the same as a copy followed by an add into.
        var expected = Enumerable.Range(0, Length).Select(i => i < Count ? (double)(a[i] + b[i]) : c[i]).ToArray();
        TensorAssert.Close(expected, sum.ToArray(), 0, 0, "a + b");
        TensorAssert.Close(Enumerable.Range(0, Length).Select(i => i < Count ? (double)(a[i] + b[i]) : a[i])
            .ToArray(), inPlace.ToArray(), 0, 0, "a += b through Add");
        Assert.Throws<ArgumentException>(() => acc.Add(first, second, second, Count));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void FillSetsTheWholeBuffer(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var buffer = acc.Upload(RandomTensors.Uniform(37, 3));
        acc.Fill(buffer, 0.75f);

        TensorAssert.Close(Enumerable.Repeat(0.75, 37).ToArray(), buffer.ToArray(), 0, 0, "fill");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void SumOfSquaresCoversExactlyTheFirstCountElements(string accelerator)
    {
        var values = RandomTensors.Uniform(Length, 4, -3f, 3f);
        using var acc = Accelerators.Create(accelerator);
        var sum = acc.SumOfSquares(acc.Upload(values), Count);

        var expected = values.Take(Count).Sum(v => (double)v * v);
        Assert.Equal(expected, sum, expected * 1e-6);
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void HostCopiesHonourTheOffset(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var buffer = acc.Filled(6, 0f);
        acc.CopyFromHost([1f, 2f], buffer, offset: 3);
        var tail = new float[3];
        acc.CopyToHost(buffer, tail, offset: 2);

        TensorAssert.Close([0, 0, 0, 1, 2, 0], buffer.ToArray(), 0, 0, "buffer after copy in at 3");
        TensorAssert.Close([0, 1, 2], tail, 0, 0, "three elements copied out from 2");
    }
}
