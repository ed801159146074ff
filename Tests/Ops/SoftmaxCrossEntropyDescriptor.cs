using GpuCnn.Kernels;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;

namespace GpuCnn.Tests.Ops;

/// <summary>The fused softmax cross-entropy (a loss, not a layer): gradient, summed loss and correct count against
/// <see cref="ReferenceOps.SoftmaxCrossEntropy"/>. Large and tied logits have their own tests in LossOracleTests.
/// </summary>
internal sealed class SoftmaxCrossEntropyDescriptor : OpDescriptor
{
    public override string Name => "SoftmaxCrossEntropy";

    // rows x classes / gradScale
    public override IEnumerable<KernelCheck> Parity =>
        [new("dlogits-loss-and-correct", ["1x2/1", "7x10/0.142857", "5x13/0.5"], MatchesReference)];

    public override IEnumerable<KernelCheck> KernelGradients => [new("dlogits", ["4x6"], Gradient)];

    public override IEnumerable<OracleCheck> Oracle =>
        [new("gradient-is-derivative-of-the-scaled-loss", ["4x6"], OracleGradients)];

    /// <summary>Runs the kernel with dlogits prefilled with NaN (it is written, not accumulated).</summary>
    internal static (float[] DLogits, float[] Stats) Run(Accelerator acc, float[] logits, int[] labels, int rows,
        int classes, float scale)
    {
        var (dlogits, stats) = (acc.Filled(rows * classes, float.NaN), acc.Filled(2, float.NaN));
        acc.SoftmaxCrossEntropy(acc.Upload(logits), acc.Upload(labels.Select(l => (float)l).ToArray()), rows,
            classes, scale, dlogits, stats);
        return (dlogits.ToArray(), stats.ToArray());
    }

    private static (int Rows, int Classes) Size(string shape)
    {
        var size = shape.Split('x').Select(int.Parse).ToArray();
        return (size[0], size[1]);
    }

    private static void MatchesReference(Accelerator acc, string item)
    {
        var parts = item.Split('/');
        var (rows, classes) = Size(parts[0]);
        var scale = float.Parse(parts[1]);
        var logits = RandomTensors.Uniform(rows * classes, 1, -4f, 4f);
        var labels = RandomTensors.Labels(rows, classes, 2);

        var (dlogits, stats) = Run(acc, logits, labels, rows, classes, scale);

        var expected = ReferenceOps.SoftmaxCrossEntropy(logits.ToDouble(), labels, rows, classes, scale);
        TensorAssert.Close(expected.DLogits, dlogits, 1e-7, 1e-5, $"cross-entropy {item} dlogits");
        TensorAssert.Close([expected.LossSum, expected.Correct], stats, 1e-6, 1e-6, $"cross-entropy {item} stats");
    }

    private static void Gradient(Accelerator acc, string shape)
    {
        var (rows, classes) = Size(shape);
        var scale = 1f / rows;
        var logits = RandomTensors.Uniform(rows * classes, 18, -3f, 3f);
        var labels = RandomTensors.Labels(rows, classes, 19).Select(l => (float)l).ToArray();
        var (z, labelBuffer) = (acc.Upload(logits), acc.Upload(labels));
        var (dz, stats) = (acc.Allocate(rows * classes), acc.Allocate(2));
        acc.SoftmaxCrossEntropy(z, labelBuffer, rows, classes, scale, dz, stats);
        var analytic = dz.ToArray();

        // The loss the gradient belongs to is the summed loss times the gradient scale (a batch mean here).
        var numeric = FiniteDifferences.Gradient(acc, z, logits, () =>
        {
            acc.SoftmaxCrossEntropy(z, labelBuffer, rows, classes, scale, dz, stats);
            return scale * (double)stats.ToArray()[0];
        }, KernelGradient.SmoothStep);
        TensorAssert.Close(numeric, analytic, KernelGradient.Atol, KernelGradient.Rtol,
            "cross-entropy dlogits against central differences");
    }

    private static void OracleGradients(string shape)
    {
        var (rows, classes) = Size(shape);
        var scale = 1.0 / rows;
        var logits = RandomTensors.Uniform(rows * classes, 19, -3f, 3f).ToDouble();
        var labels = RandomTensors.Labels(rows, classes, 20);

        OracleGradient.Check(ReferenceOps.SoftmaxCrossEntropy(logits, labels, rows, classes, scale).DLogits,
            FiniteDifferences.Gradient(logits,
                () => scale * ReferenceOps.SoftmaxCrossEntropy(logits, labels, rows, classes, scale).LossSum,
                OracleGradient.Step),
            "dlogits");
    }
}
