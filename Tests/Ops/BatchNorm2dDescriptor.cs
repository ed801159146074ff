using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Conformance;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>BatchNorm2d against <see cref="ReferenceNormalization"/>: outputs, saved and running statistics, and
/// gradients added to prefilled buffers; null gradient outputs, no affine and a worked example have their own tests
/// in NormalizationOracleTests.</summary>
internal sealed class BatchNorm2dDescriptor : OpDescriptor
{
    internal const float Momentum = 0.1f;
    internal const float Eps = 1e-5f;

    // Offset shifts every input: a mean far from zero must not cancel the variance away.
    private static readonly Dictionary<string, (BatchNormGeometry G, float Offset)> Cases = new()
    {
        // One value per channel: the variance is zero, the running variance takes the biased one.
        ["n1-c4-1x1"] = (new(1, 4, 1), 0f),
        ["n1-c2-5x5"] = (new(1, 2, 25), 0f),
        ["n3-c5-7x9"] = (new(3, 5, 63), 0f),
        ["n4-c6-1x1-after-pooling"] = (new(4, 6, 1), 0.5f),
        ["n2-c3-56x56"] = (new(2, 3, 56 * 56), 0f),
        ["n8-c2-33x33-offset5"] = (new(8, 2, 33 * 33), 5f),

        // 16 channels or more of planes below 64 values: the CPU backend's forward statistics run channel by
        // channel rather than plane by plane.
        ["n5-c32-4x4-channelwise"] = (new(5, 32, 16), 0f),
        ["n1-c17-1x1-channelwise"] = (new(1, 17, 1), 0f),
        ["n40-c20-7x7-channelwise-offset3"] = (new(40, 20, 49), 3f),
        ["n3-c16-30x30-offset3"] = (new(3, 16, 900), 3f),
    };

    private static readonly Dictionary<string, BatchNormGeometry> GradientCases = new()
    {
        ["n2-c3-2x2"] = new(2, 3, 4),
        ["n5-c2-1x1"] = new(5, 2, 1),
    };

    public override string Name => "BatchNorm2d";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("training", Cases.Keys, Training),
        new("inference", Cases.Keys, Inference),
        new("backward-adds", Cases.Keys, Backward),
        new("backward-overwrites-dx", Cases.Keys, BackwardOverwrite),
    ];

    public override IEnumerable<KernelCheck> KernelGradients =>
        [new("dx-dgamma-dbeta", GradientCases.Keys, Gradients)];

    public override IEnumerable<OracleCheck> Oracle =>
        [new("gradients-are-derivatives", GradientCases.Keys, OracleGradients)];

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["batchnorm"] = new(new Shape(3, 4, 5), Smooth, ["bn1.weight", "bn1.bias"], (g, x) => g.BatchNorm2d(x)),
        ["batchnorm-in-eval-mode"] = new(new Shape(3, 4, 5), Smooth, ["bn1.weight", "bn1.bias"],
            (g, x) => g.BatchNorm2d(x), Eval: true),
        ["batchnorm-without-affine"] = new(new Shape(2, 3, 2), Smooth, [],
            (g, x) => g.BatchNorm2d(x, affine: false)),
    };

    public override IReadOnlyList<string> FixtureOps => ["batchnorm"];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) => g.BatchNorm2d(x,
        fixture.Float("eps", 1e-5f), fixture.Float("momentum", 0.1f), fixture.Get("affine", true), "layer");

    private static void Training(Accelerator acc, string name)
    {
        var (g, offset) = Cases[name];
        var t = Inputs.Create(g, offset);
        var (y, mean, invStd) = (acc.Filled(g.Length, float.NaN), acc.Filled(g.C, float.NaN),
            acc.Filled(g.C, float.NaN));
        var (runningMean, runningVar) = (acc.Upload(t.RunningMean), acc.Upload(t.RunningVar));
        acc.BatchNormForwardTraining(g, acc.Upload(t.X), acc.Upload(t.Gamma), acc.Upload(t.Beta), y, mean, invStd,
            runningMean, runningVar, Momentum, Eps);

        var expected = ReferenceNormalization.BatchNormTraining(g, t.X.ToDouble(), t.Gamma.ToDouble(),
            t.Beta.ToDouble(), t.RunningMean.ToDouble(), t.RunningVar.ToDouble(), Momentum, Eps);
        TensorAssert.Close(expected.Y, y.ToArray(), 1e-5, 1e-5, $"batch norm {name} y");
        TensorAssert.Close(expected.Mean, mean.ToArray(), 1e-6, 1e-6, $"batch norm {name} saved mean");
        TensorAssert.Close(expected.InvStd, invStd.ToArray(), 0, 1e-5, $"batch norm {name} saved invStd");
        TensorAssert.Close(expected.RunningMean, runningMean.ToArray(), 1e-6, 1e-6, $"batch norm {name} running mean");
        TensorAssert.Close(expected.RunningVar, runningVar.ToArray(), 1e-6, 1e-5, $"batch norm {name} running var");
    }

    private static void Inference(Accelerator acc, string name)
    {
        var (g, offset) = Cases[name];
        var t = Inputs.Create(g, offset);
        var y = acc.Filled(g.Length, float.NaN);
        var (runningMean, runningVar) = (acc.Upload(t.RunningMean), acc.Upload(t.RunningVar));
        acc.BatchNormForwardInference(g, acc.Upload(t.X), acc.Upload(t.Gamma), acc.Upload(t.Beta), runningMean,
            runningVar, Eps, y);

        var expected = ReferenceNormalization.BatchNormInference(g, t.X.ToDouble(), t.Gamma.ToDouble(),
            t.Beta.ToDouble(), t.RunningMean.ToDouble(), t.RunningVar.ToDouble(), Eps);
        TensorAssert.Close(expected, y.ToArray(), 1e-5, 1e-5, $"batch norm {name} inference y");
        TensorAssert.Close(t.RunningMean.ToDouble(), runningMean.ToArray(), 0, 0, "running mean left alone");
        TensorAssert.Close(t.RunningVar.ToDouble(), runningVar.ToArray(), 0, 0, "running var left alone");
    }

    private static void Backward(Accelerator acc, string name)
    {
        var (g, offset) = Cases[name];
        var t = Inputs.Create(g, offset);
        var (dy, dxBefore) = (RandomTensors.Uniform(g.Length, 20), RandomTensors.Uniform(g.Length, 21));
        var (dgammaBefore, dbetaBefore) = (RandomTensors.Uniform(g.C, 22), RandomTensors.Uniform(g.C, 23));
        var (x, gamma, mean, invStd) = (acc.Upload(t.X), acc.Upload(t.Gamma), acc.Allocate(g.C), acc.Allocate(g.C));
        acc.BatchNormForwardTraining(g, x, gamma, acc.Upload(t.Beta), acc.Allocate(g.Length), mean, invStd,
            acc.Upload(t.RunningMean), acc.Upload(t.RunningVar), Momentum, Eps);
        var (dx, dgamma, dbeta) = (acc.Upload(dxBefore), acc.Upload(dgammaBefore), acc.Upload(dbetaBefore));
        acc.BatchNormBackward(g, x, acc.Upload(dy), gamma, mean, invStd, dx, dgamma, dbeta);

        var expected = ReferenceNormalization.BatchNormBackward(g, t.X.ToDouble(), dy.ToDouble(),
            t.Gamma.ToDouble(), Eps);
        TensorAssert.Close(Expected.Add(dxBefore, expected.DX), dx.ToArray(), 2e-5, 1e-4,
            $"batch norm {name} dx (added to prefill)");
        TensorAssert.Close(Expected.Add(dgammaBefore, expected.DGamma), dgamma.ToArray(),
            1e-5 + SavedMeanSlack(g, t.X, dy), 1e-5, $"batch norm {name} dgamma (added to prefill)");
        TensorAssert.Close(Expected.Add(dbetaBefore, expected.DBeta), dbeta.ToArray(), 1e-5, 1e-5,
            $"batch norm {name} dbeta (added to prefill)");
    }

    // With overwrite, dx starts as NaN and must come out as the gradient alone; dgamma and dbeta still add.
    private static void BackwardOverwrite(Accelerator acc, string name)
    {
        var (g, offset) = Cases[name];
        var t = Inputs.Create(g, offset);
        var dy = RandomTensors.Uniform(g.Length, 24);
        var (dgammaBefore, dbetaBefore) = (RandomTensors.Uniform(g.C, 25), RandomTensors.Uniform(g.C, 26));
        var (x, gamma, mean, invStd) = (acc.Upload(t.X), acc.Upload(t.Gamma), acc.Allocate(g.C), acc.Allocate(g.C));
        acc.BatchNormForwardTraining(g, x, gamma, acc.Upload(t.Beta), acc.Allocate(g.Length), mean, invStd,
            acc.Upload(t.RunningMean), acc.Upload(t.RunningVar), Momentum, Eps);
        var (dx, dgamma, dbeta) = (acc.Filled(g.Length, float.NaN), acc.Upload(dgammaBefore),
            acc.Upload(dbetaBefore));
        acc.BatchNormBackward(g, x, acc.Upload(dy), gamma, mean, invStd, dx, dgamma, dbeta, overwrite: true);

        var expected = ReferenceNormalization.BatchNormBackward(g, t.X.ToDouble(), dy.ToDouble(),
            t.Gamma.ToDouble(), Eps);
        TensorAssert.Close(expected.DX, dx.ToArray(), 2e-5, 1e-4, $"batch norm {name} dx (overwritten)");
        TensorAssert.Close(Expected.Add(dgammaBefore, expected.DGamma), dgamma.ToArray(),
            1e-5 + SavedMeanSlack(g, t.X, dy), 1e-5, $"batch norm {name} dgamma (added to prefill)");
        TensorAssert.Close(Expected.Add(dbetaBefore, expected.DBeta), dbeta.ToArray(), 1e-5, 1e-5,
            $"batch norm {name} dbeta (added to prefill)");
    }

    // dgamma = invStd * sum(dy (x - mean)) is computed, as in PyTorch, about the saved mean, a float: an ulp of
    // rounding in the mean moves it by ulp(mean) * sum(dy) * invStd, which a mean of 5 makes larger than 1e-5.
    private static double SavedMeanSlack(BatchNormGeometry g, float[] x, float[] dy)
    {
        var reference = ReferenceNormalization.BatchNormTraining(g, x.ToDouble(), null, null, new double[g.C],
            new double[g.C], 0, Eps);
        return Enumerable.Range(0, g.C).Max(c =>
        {
            var sumDy = Enumerable.Range(0, g.N).Sum(n => dy.Skip((n * g.C + c) * g.Inner).Take(g.Inner).Sum());
            return Math.Abs(reference.Mean[c]) * Math.Pow(2, -23) * Math.Abs(sumDy) * reference.InvStd[c];
        });
    }

    private static void Gradients(Accelerator acc, string name)
    {
        var g = GradientCases[name];
        var (x, gamma, beta) = (RandomTensors.Uniform(g.Length, 19), RandomTensors.Uniform(g.C, 20, 0.5f, 1.5f),
            RandomTensors.Uniform(g.C, 21));
        var r = RandomTensors.Uniform(g.Length, 22);
        var (xb, gb, bb, y) = (acc.Upload(x), acc.Upload(gamma), acc.Upload(beta), acc.Allocate(g.Length));
        var (mean, invStd, runningMean, runningVar) = (acc.Allocate(g.C), acc.Allocate(g.C), acc.Filled(g.C, 0f),
            acc.Filled(g.C, 1f));
        double Loss()
        {
            acc.BatchNormForwardTraining(g, xb, gb, bb, y, mean, invStd, runningMean, runningVar, 0.1f, 1e-5f);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }

        Loss();
        var (dx, dgamma, dbeta) = (acc.Filled(g.Length, 0f), acc.Filled(g.C, 0f), acc.Filled(g.C, 0f));
        acc.BatchNormBackward(g, xb, acc.Upload(r), gb, mean, invStd, dx, dgamma, dbeta);

        // y is linear in gamma and beta, so those take the large step.
        KernelGradient.Check(FiniteDifferences.Gradient(acc, xb, x, Loss, KernelGradient.SmoothStep), dx,
            $"batch norm {name} dx");
        KernelGradient.Check(FiniteDifferences.Gradient(acc, gb, gamma, Loss, KernelGradient.LinearStep), dgamma,
            $"batch norm {name} dgamma");
        KernelGradient.Check(FiniteDifferences.Gradient(acc, bb, beta, Loss, KernelGradient.LinearStep), dbeta,
            $"batch norm {name} dbeta");
    }

    private static void OracleGradients(string name)
    {
        const double OracleEps = 1e-5;
        var g = GradientCases[name];
        var x = RandomTensors.Uniform(g.Length, 21).ToDouble();
        var (gamma, beta) = (RandomTensors.Uniform(g.C, 22, 0.5f, 1.5f).ToDouble(),
            RandomTensors.Uniform(g.C, 23).ToDouble());
        var r = RandomTensors.Uniform(g.Length, 24).ToDouble();
        double Loss() => FiniteDifferences.Dot(ReferenceNormalization.BatchNormTraining(g, x, gamma, beta,
            new double[g.C], new double[g.C], 0.1, OracleEps).Y, r);

        var (dx, dgamma, dbeta) = ReferenceNormalization.BatchNormBackward(g, x, r, gamma, OracleEps);
        const double Step = OracleGradient.Step;
        OracleGradient.Check(dx, FiniteDifferences.Gradient(x, Loss, Step), $"batch norm {name} dx");
        OracleGradient.Check(dgamma, FiniteDifferences.Gradient(gamma, Loss, Step), $"batch norm {name} dgamma");
        OracleGradient.Check(dbeta, FiniteDifferences.Gradient(beta, Loss, Step), $"batch norm {name} dbeta");
    }

    /// <summary>Seeded inputs of a batch normalisation: x around <c>offset</c>, gamma near 1, running statistics
    /// away from their initial 0 and 1.</summary>
    internal sealed record Inputs(float[] X, float[] Gamma, float[] Beta, float[] RunningMean, float[] RunningVar)
    {
        public static Inputs Create(BatchNormGeometry g, float offset) => new(
            RandomTensors.Uniform(g.Length, 10, offset - 1f, offset + 1f), RandomTensors.Uniform(g.C, 11, 0.5f, 1.5f),
            RandomTensors.Uniform(g.C, 12), RandomTensors.Uniform(g.C, 13, -0.5f, 0.5f),
            RandomTensors.Uniform(g.C, 14, 0.5f, 2f));
    }
}
