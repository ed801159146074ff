using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>The fused softmax cross-entropy: gradient, summed loss and correct count against the reference.</summary>
public sealed class LossOracleTests
{
    // rows x classes / gradScale
    public static TheoryData<string, string> Data => Accelerators.Cross(["1x2/1", "7x10/0.142857", "5x13/0.5"]);

    [Theory]
    [MemberData(nameof(Data))]
    public void SoftmaxCrossEntropyMatchesReference(string accelerator, string item)
    {
        var parts = item.Split('/');
        var size = parts[0].Split('x').Select(int.Parse).ToArray();
        var (rows, classes, scale) = (size[0], size[1], float.Parse(parts[1]));
        var logits = RandomTensors.Uniform(rows * classes, 1, -4f, 4f);
        var labels = RandomTensors.Labels(rows, classes, 2);

        var (dlogits, stats) = Run(accelerator, logits, labels, rows, classes, scale);

        var expected = ReferenceOps.SoftmaxCrossEntropy(logits.ToDouble(), labels, rows, classes, scale);
        TensorAssert.Close(expected.DLogits, dlogits, 1e-7, 1e-5, $"cross-entropy {item} dlogits");
        TensorAssert.Close([expected.LossSum, expected.Correct], stats, 1e-6, 1e-6, $"cross-entropy {item} stats");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void LargeLogitsGiveFiniteLossAndGradient(string accelerator)
    {
        // Row 0 is confidently right (loss ~ 0), row 1 confidently wrong (loss = 2000 exactly up to rounding).
        float[] logits = [1000f, 0f, -1000f, 1000f, 0f, -1000f];
        int[] labels = [0, 2];

        var (dlogits, stats) = Run(accelerator, logits, labels, 2, 3, 1f);

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
        var (dlogits, stats) = Run(accelerator, [2f, 2f, 2f, 2f, 2f, 2f], [0, 1], 2, 3, 1f);

        TensorAssert.Close([2 * Math.Log(3), 1], stats, 1e-6, 1e-6, "stats");
        TensorAssert.Close([-2 / 3.0, 1 / 3.0, 1 / 3.0, 1 / 3.0, -2 / 3.0, 1 / 3.0], dlogits, 1e-7, 1e-6, "dlogits");
    }

    private static (float[] DLogits, float[] Stats) Run(string accelerator, float[] logits, int[] labels, int rows,
        int classes, float scale)
    {
        using var acc = Accelerators.Create(accelerator);

        // dlogits is written, not accumulated: NaN there must not survive.
        var (dlogits, stats) = (acc.Filled(rows * classes, float.NaN), acc.Filled(2, float.NaN));
        acc.SoftmaxCrossEntropy(acc.Upload(logits), acc.Upload(labels.Select(l => (float)l).ToArray()), rows,
            classes, scale, dlogits, stats);
        return (dlogits.ToArray(), stats.ToArray());
    }
}
