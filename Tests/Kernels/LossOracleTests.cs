using GpuCnn.Tests.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>The fused softmax cross-entropy with extreme and tied logits; its cases against the reference are the
/// SoftmaxCrossEntropy descriptor's (Tests/Ops).</summary>
public sealed class LossOracleTests
{
    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void LargeLogitsGiveFiniteLossAndGradient(string accelerator)
    {
        // Row 0 is confidently right (loss ~ 0), row 1 confidently wrong (loss = 2000 exactly up to rounding).
        float[] logits = [1000f, 0f, -1000f, 1000f, 0f, -1000f];
        int[] labels = [0, 2];
        using var acc = Accelerators.Create(accelerator);

        var (dlogits, stats) = SoftmaxCrossEntropyDescriptor.Run(acc, logits, labels, 2, 3, 1f);

        var expected = ReferenceOps.SoftmaxCrossEntropy(logits.ToDouble(), labels, 2, 3, 1);
        TensorAssert.Close([0, 0, 0, 1, 0, -1], expected.DLogits, 1e-12, 0, "reference dlogits");
        TensorAssert.Close(expected.DLogits, dlogits, 1e-7, 1e-6, "dlogits");
        TensorAssert.Close([2000, 1], stats, 1e-3, 1e-6, "stats");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void TiedLogitsCountAsCorrectOnlyForTheFirstClass(string accelerator)
    {
        // Equal logits: the loss is log 3 per row and the arg-max is the first class, so only label 0 is correct.
        using var acc = Accelerators.Create(accelerator);
        var (dlogits, stats) = SoftmaxCrossEntropyDescriptor.Run(acc, [2f, 2f, 2f, 2f, 2f, 2f], [0, 1], 2, 3, 1f);

        TensorAssert.Close([2 * Math.Log(3), 1], stats, 1e-6, 1e-6, "stats");
        TensorAssert.Close([-2 / 3.0, 1 / 3.0, 1 / 3.0, 1 / 3.0, -2 / 3.0, 1 / 3.0], dlogits, 1e-7, 1e-6, "dlogits");
    }
}
