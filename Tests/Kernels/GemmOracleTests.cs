using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>GEMM's edge cases on every accelerator; its transpose combinations against the double reference are
/// the Linear descriptor's (Tests/Ops).</summary>
public sealed class GemmOracleTests
{
    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void GemmWithEmptyInnerDimensionOnlyScalesC(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var c = acc.Upload([1f, -2f, 3f, 4f, 5f, 6f]);
        acc.Gemm(false, false, 2, 3, 0, 1f, acc.Filled(1, float.NaN), acc.Filled(1, float.NaN), 0.5f, c);

        TensorAssert.Close([0.5, -1, 1.5, 2, 2.5, 3], c.ToArray(), 0, 0, "C after k = 0");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void GemmLeavesElementsBeyondMByNAlone(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var c = acc.Filled(10, 42f);
        acc.Gemm(false, false, 2, 3, 4, 1f, acc.Filled(8, 1f), acc.Filled(12, 1f), 0f, c);

        TensorAssert.Close([4, 4, 4, 4, 4, 4, 42, 42, 42, 42], c.ToArray(), 0, 0, "C");
    }
}
