using GpuCnn.Engine;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>Dropout: its mask is a pure function of (seed, index), so every backend must reproduce
/// <see cref="CounterRandom"/> exactly. The generator's statistics and the rejected probabilities have their own
/// tests in DropoutOracleTests; the layer in train mode in GradientChecksNetwork.</summary>
internal sealed class DropoutDescriptor : OpDescriptor
{
    // count / p / seed: a short tail, a length split across workers, p = 0, and a seed whose halves both matter.
    private static readonly string[] Cases = ["37/0.5/1", "70001/0.3/12345", "1000/0/7", "513/0.9/81985529216486895"];

    public override string Name => "Dropout";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("forward-mask-matches-counter-random", Cases, Forward),
        new("backward-adds-mask-times-gradient", Cases, Backward),
    ];

    public override IEnumerable<KernelCheck> KernelGradients => [new("dx", ["60/0.4/2024"], Gradient)];

    public override IEnumerable<OracleCheck> Oracle => [new("gradient-is-the-mask", ["40/0.4/77"], OracleGradient)];

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["dropout-in-eval-mode"] = new(new Shape(11), Smooth, [], (g, x) => g.Dropout(x, 0.5f), Eval: true),
    };

    private static (int Count, float P, ulong Seed) Parse(string item)
    {
        var parts = item.Split('/');
        return (int.Parse(parts[0]), float.Parse(parts[1]), ulong.Parse(parts[2]));
    }

    private static void Forward(Accelerator acc, string item)
    {
        var (count, p, seed) = Parse(item);
        var x = RandomTensors.Uniform(count, 1);
        var (mask, y) = (acc.Filled(count, float.NaN), acc.Filled(count, float.NaN));
        acc.DropoutForward(acc.Upload(x), mask, y, count, p, seed);

        var expectedMask = ReferenceOps.DropoutMask(seed, count, p);
        TensorAssert.Close(expectedMask, mask.ToArray(), 0, 1e-6, $"dropout {item} mask");
        TensorAssert.Close(ReferenceOps.Multiply(x.ToDouble(), expectedMask), y.ToArray(), 0, 1e-6,
            $"dropout {item} y");
    }

    private static void Backward(Accelerator acc, string item)
    {
        var (count, p, seed) = Parse(item);
        var (dy, before) = (RandomTensors.Uniform(count, 2), RandomTensors.Uniform(count, 3));
        var mask = Array.ConvertAll(ReferenceOps.DropoutMask(seed, count, p), v => (float)v);
        var dx = acc.Upload(before);
        acc.DropoutBackward(acc.Upload(mask), acc.Upload(dy), dx, count);

        var expected = Expected.Add(before, ReferenceOps.Multiply(mask.ToDouble(), dy.ToDouble()));
        TensorAssert.Close(expected, dx.ToArray(), 1e-6, 1e-6, $"dropout {item} dx (added to prefill)");
    }

    private static void Gradient(Accelerator acc, string item)
    {
        var (count, p, seed) = Parse(item);
        var (x, r) = (RandomTensors.Uniform(count, 16), RandomTensors.Uniform(count, 17));
        var (xb, mask, y, dx) = (acc.Upload(x), acc.Allocate(count), acc.Allocate(count), acc.Filled(count, 0f));
        acc.DropoutForward(xb, mask, y, count, p, seed);
        acc.DropoutBackward(mask, acc.Upload(r), dx, count);

        KernelGradient.Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.DropoutForward(xb, mask, y, count, p, seed);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, KernelGradient.LinearStep), dx, "dropout dx");
    }

    private static void OracleGradient(string item)
    {
        var (count, p, seed) = Parse(item);
        var mask = ReferenceOps.DropoutMask(seed, count, p);
        var x = RandomTensors.Uniform(count, 17).ToDouble();
        var r = RandomTensors.Uniform(count, 18).ToDouble();

        Ops.OracleGradient.Check(ReferenceOps.Multiply(mask, r), FiniteDifferences.Gradient(x,
            () => FiniteDifferences.Dot(ReferenceOps.Multiply(x, mask), r), Ops.OracleGradient.Step), "dropout dx");
    }
}
