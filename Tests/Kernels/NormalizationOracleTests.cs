using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>
/// Batch normalisation and local response normalisation, forward and backward, against the double reference on
/// every accelerator: outputs, saved and running statistics, gradients added to prefilled buffers, null gradient
/// outputs, and a worked example of each op.
/// </summary>
public sealed class NormalizationOracleTests
{
    private const float Momentum = 0.1f;
    private const float Eps = 1e-5f;

    // Offset shifts every input: a mean far from zero must not cancel the variance away.
    private static readonly Dictionary<string, (BatchNormGeometry G, float Offset)> BatchNormCases = new()
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

    private static readonly Dictionary<string, LrnGeometry> LrnCases = new()
    {
        ["size1-c4"] = new(2, 4, 6, 1, 0.3f, 0.75f, 1f),
        ["size2-even-c5"] = new(2, 5, 7, 2, 0.5f, 0.75f, 1f),
        ["size3-c2-fewer-channels"] = new(3, 2, 5, 3, 1f, 0.5f, 2f),
        ["size5-c3-fewer-channels"] = new(2, 3, 9, 5, 2f, 0.75f, 1f),
        ["size5-c12-13x13"] = new(2, 12, 169, 5, 0.4f, 0.75f, 2f),
        ["size4-c7-beta0.6"] = new(2, 7, 10, 4, 0.8f, 0.6f, 1f),
        ["size3-c6-beta1"] = new(1, 6, 70, 3, 0.6f, 1f, 1.5f),
        ["alexnet-c16-27x27"] = new(2, 16, 27 * 27, 5, 5e-4f, 0.75f, 2f),
        ["size5-c9-1x1"] = new(5, 9, 1, 5, 1f, 0.75f, 1f),

        // Wide planes: the CPU backend cuts each image into strips (here one of 1632 positions and a rest).
        ["size5-c40-45x45-strips"] = new(2, 40, 45 * 45, 5, 1f, 0.75f, 2f),
    };

    public static TheoryData<string, string> BatchNormData => Accelerators.Cross(BatchNormCases.Keys);

    public static TheoryData<string, string> LrnData => Accelerators.Cross(LrnCases.Keys);

    [Theory]
    [MemberData(nameof(BatchNormData))]
    public void BatchNormTrainingMatchesReference(string accelerator, string name)
    {
        var (g, offset) = BatchNormCases[name];
        var t = BatchNormInputs.Create(g, offset);
        using var acc = Accelerators.Create(accelerator);
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

    [Theory]
    [MemberData(nameof(BatchNormData))]
    public void BatchNormInferenceMatchesReference(string accelerator, string name)
    {
        var (g, offset) = BatchNormCases[name];
        var t = BatchNormInputs.Create(g, offset);
        using var acc = Accelerators.Create(accelerator);
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

    [Theory]
    [MemberData(nameof(BatchNormData))]
    public void BatchNormBackwardAddsReferenceGradients(string accelerator, string name)
    {
        var (g, offset) = BatchNormCases[name];
        var t = BatchNormInputs.Create(g, offset);
        var (dy, dxBefore) = (RandomTensors.Uniform(g.Length, 20), RandomTensors.Uniform(g.Length, 21));
        var (dgammaBefore, dbetaBefore) = (RandomTensors.Uniform(g.C, 22), RandomTensors.Uniform(g.C, 23));
        using var acc = Accelerators.Create(accelerator);
        var (x, gamma, mean, invStd) = (acc.Upload(t.X), acc.Upload(t.Gamma), acc.Allocate(g.C), acc.Allocate(g.C));
        acc.BatchNormForwardTraining(g, x, gamma, acc.Upload(t.Beta), acc.Allocate(g.Length), mean, invStd,
            acc.Upload(t.RunningMean), acc.Upload(t.RunningVar), Momentum, Eps);
        var (dx, dgamma, dbeta) = (acc.Upload(dxBefore), acc.Upload(dgammaBefore), acc.Upload(dbetaBefore));
        acc.BatchNormBackward(g, x, acc.Upload(dy), gamma, mean, invStd, dx, dgamma, dbeta);

        var expected = ReferenceNormalization.BatchNormBackward(g, t.X.ToDouble(), dy.ToDouble(),
            t.Gamma.ToDouble(), Eps);
        TensorAssert.Close(Conv2dOracleTests.Add(dxBefore, expected.DX), dx.ToArray(), 2e-5, 1e-4,
            $"batch norm {name} dx (added to prefill)");
        TensorAssert.Close(Conv2dOracleTests.Add(dgammaBefore, expected.DGamma), dgamma.ToArray(),
            1e-5 + SavedMeanSlack(g, t.X, dy), 1e-5, $"batch norm {name} dgamma (added to prefill)");
        TensorAssert.Close(Conv2dOracleTests.Add(dbetaBefore, expected.DBeta), dbeta.ToArray(), 1e-5, 1e-5,
            $"batch norm {name} dbeta (added to prefill)");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void BatchNormBackwardComputesOnlyTheGradientsAskedFor(string accelerator)
    {
        var g = new BatchNormGeometry(3, 5, 63);
        var t = BatchNormInputs.Create(g, 0f);
        var dy = RandomTensors.Uniform(g.Length, 24);
        var (dxBefore, dgammaBefore) = (RandomTensors.Uniform(g.Length, 25), RandomTensors.Uniform(g.C, 26));
        using var acc = Accelerators.Create(accelerator);
        var (x, gamma, dyBuffer, mean, invStd) = (acc.Upload(t.X), acc.Upload(t.Gamma), acc.Upload(dy),
            acc.Allocate(g.C), acc.Allocate(g.C));
        acc.BatchNormForwardTraining(g, x, gamma, acc.Upload(t.Beta), acc.Allocate(g.Length), mean, invStd,
            acc.Upload(t.RunningMean), acc.Upload(t.RunningVar), Momentum, Eps);
        var expected = ReferenceNormalization.BatchNormBackward(g, t.X.ToDouble(), dy.ToDouble(), t.Gamma.ToDouble(),
            Eps);

        // Only dx (a frozen layer in the middle of a network).
        var dx = acc.Upload(dxBefore);
        acc.BatchNormBackward(g, x, dyBuffer, gamma, mean, invStd, dx, null, null);
        TensorAssert.Close(Conv2dOracleTests.Add(dxBefore, expected.DX), dx.ToArray(), 2e-5, 1e-4, "dx alone");

        // Only dgamma (the first layer, whose input needs no gradient, with a frozen beta).
        var dgamma = acc.Upload(dgammaBefore);
        acc.BatchNormBackward(g, x, dyBuffer, gamma, mean, invStd, null, dgamma, null);
        TensorAssert.Close(Conv2dOracleTests.Add(dgammaBefore, expected.DGamma), dgamma.ToArray(), 1e-5, 1e-5,
            "dgamma alone");

        // Only dbeta.
        var dbeta = acc.Filled(g.C, 0f);
        acc.BatchNormBackward(g, x, dyBuffer, gamma, mean, invStd, null, null, dbeta);
        TensorAssert.Close(expected.DBeta, dbeta.ToArray(), 1e-5, 1e-5, "dbeta alone");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void BatchNormWithoutAffineUsesUnitScaleAndZeroShift(string accelerator)
    {
        var g = new BatchNormGeometry(2, 3, 20);
        var t = BatchNormInputs.Create(g, 0f);
        var (dy, dxBefore) = (RandomTensors.Uniform(g.Length, 27), RandomTensors.Uniform(g.Length, 28));
        using var acc = Accelerators.Create(accelerator);
        var (x, y, mean, invStd) = (acc.Upload(t.X), acc.Allocate(g.Length), acc.Allocate(g.C), acc.Allocate(g.C));
        var (runningMean, runningVar) = (acc.Upload(t.RunningMean), acc.Upload(t.RunningVar));
        acc.BatchNormForwardTraining(g, x, null, null, y, mean, invStd, runningMean, runningVar, Momentum, Eps);
        var dx = acc.Upload(dxBefore);
        acc.BatchNormBackward(g, x, acc.Upload(dy), null, mean, invStd, dx, null, null);
        var inference = acc.Allocate(g.Length);
        acc.BatchNormForwardInference(g, x, null, null, runningMean, runningVar, Eps, inference);

        var expected = ReferenceNormalization.BatchNormTraining(g, t.X.ToDouble(), null, null,
            t.RunningMean.ToDouble(), t.RunningVar.ToDouble(), Momentum, Eps);
        TensorAssert.Close(expected.Y, y.ToArray(), 1e-5, 1e-5, "y without affine");
        TensorAssert.Close(Conv2dOracleTests.Add(dxBefore, ReferenceNormalization.BatchNormBackward(g,
            t.X.ToDouble(), dy.ToDouble(), null, Eps).DX), dx.ToArray(), 2e-5, 1e-4, "dx without affine");
        TensorAssert.Close(ReferenceNormalization.BatchNormInference(g, t.X.ToDouble(), null, null,
            expected.RunningMean, expected.RunningVar, Eps), inference.ToArray(), 1e-5, 1e-5,
            "inference without affine");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void BatchNormWorkedExample(string accelerator)
    {
        // Two images, two channels of 1x2, eps = 4 and momentum = 0.5 so that the numbers stay small.
        // Channel 0 holds 1, 3 (image 0) and 5, 7 (image 1): mean 4, deviations -3, -1, 1, 3, biased variance
        // 20/4 = 5, invStd = 1/sqrt(5 + 4) = 1/3, xhat = -1, -1/3, 1/3, 1; with gamma 3 and beta 1,
        // y = 3 xhat + 1 = -2, 0, 2, 4. Running mean 0.5*0 + 0.5*4 = 2; running var 0.5*1 + 0.5*(20/3) = 23/6.
        // Channel 1 holds 2 everywhere: mean 2, variance 0, invStd 1/sqrt(4) = 1/2, xhat = 0, so y = beta = -1.
        // Running mean 0.5*0 + 0.5*2 = 1; running var 0.5*1 + 0.5*0 = 0.5.
        // Backward with dy = 1, 0, 0, 0 on channel 0: dbeta = 1, dgamma = sum(dy xhat) = -1, and
        // dx = gamma invStd / M (M dy - sum(dy) - xhat sum(dy xhat)) = 1/4 (4 dy - 1 + xhat) = 1/2, -1/3, -1/6, 0.
        // Channel 1 with dy = 1 everywhere: dbeta = 4, dgamma = 0, dx = 5 * 1/2 / 4 * (4 - 4 - 0) = 0.
        var g = new BatchNormGeometry(2, 2, 2);
        float[] x = [1, 3, 2, 2, 5, 7, 2, 2];
        using var acc = Accelerators.Create(accelerator);
        var (xb, gamma, y, mean, invStd) = (acc.Upload(x), acc.Upload([3, 5]), acc.Allocate(8), acc.Allocate(2),
            acc.Allocate(2));
        var (runningMean, runningVar) = (acc.Upload([0, 0]), acc.Upload([1, 1]));
        acc.BatchNormForwardTraining(g, xb, gamma, acc.Upload([1, -1]), y, mean, invStd, runningMean, runningVar,
            0.5f, 4f);
        var (dx, dgamma, dbeta) = (acc.Filled(8, 0f), acc.Filled(2, 0f), acc.Filled(2, 0f));
        acc.BatchNormBackward(g, xb, acc.Upload([1, 0, 1, 1, 0, 0, 1, 1]), gamma, mean, invStd, dx, dgamma, dbeta);

        TensorAssert.Close([-2, 0, -1, -1, 2, 4, -1, -1], y.ToArray(), 1e-6, 1e-6, "y");
        TensorAssert.Close([4, 2], mean.ToArray(), 1e-6, 0, "saved mean");
        TensorAssert.Close([1 / 3.0, 0.5], invStd.ToArray(), 0, 1e-6, "saved invStd");
        TensorAssert.Close([2, 1], runningMean.ToArray(), 1e-6, 0, "running mean");
        TensorAssert.Close([23 / 6.0, 0.5], runningVar.ToArray(), 0, 1e-6, "running var");
        TensorAssert.Close([0.5, -1 / 3.0, 0, 0, -1 / 6.0, 0, 0, 0], dx.ToArray(), 1e-6, 1e-6, "dx");
        TensorAssert.Close([-1, 0], dgamma.ToArray(), 1e-6, 0, "dgamma");
        TensorAssert.Close([1, 4], dbeta.ToArray(), 1e-6, 0, "dbeta");
    }

    [Theory]
    [MemberData(nameof(LrnData))]
    public void LrnForwardMatchesReference(string accelerator, string name)
    {
        var g = LrnCases[name];
        var x = RandomTensors.Uniform(g.Length, 30, -2f, 2f);
        using var acc = Accelerators.Create(accelerator);
        var (y, scale) = (acc.Filled(g.Length, float.NaN), acc.Filled(g.Length, float.NaN));
        acc.LrnForward(g, acc.Upload(x), y, scale);

        var expected = ReferenceNormalization.LrnForward(g, x.ToDouble());
        TensorAssert.Close(expected.Scale, scale.ToArray(), 1e-6, 1e-6, $"lrn {name} scale");
        TensorAssert.Close(expected.Y, y.ToArray(), 1e-6, 1e-5, $"lrn {name} y");
    }

    [Theory]
    [MemberData(nameof(LrnData))]
    public void LrnBackwardAddsReferenceGradient(string accelerator, string name)
    {
        var g = LrnCases[name];
        var (x, dy, before) = (RandomTensors.Uniform(g.Length, 31, -2f, 2f), RandomTensors.Uniform(g.Length, 32),
            RandomTensors.Uniform(g.Length, 33));
        using var acc = Accelerators.Create(accelerator);
        var (xb, y, scale, dx) = (acc.Upload(x), acc.Allocate(g.Length), acc.Allocate(g.Length), acc.Upload(before));
        acc.LrnForward(g, xb, y, scale);
        acc.LrnBackward(g, xb, y, scale, acc.Upload(dy), dx);

        var expected = Conv2dOracleTests.Add(before, ReferenceNormalization.LrnBackward(g, x.ToDouble(),
            dy.ToDouble()));
        TensorAssert.Close(expected, dx.ToArray(), 1e-5, 1e-5, $"lrn {name} dx (added to prefill)");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void LrnWorkedExample(string accelerator)
    {
        // One position, three channels x = 1, 2, 3; size 2, alpha 2 (alpha/size = 1), beta 1, k 1. An even window
        // reaches one channel back and none forward (c - 1 .. c), so scale = 1 + 1, 1 + 1 + 4, 1 + 4 + 9 = 2, 6, 14
        // and y = 1/2, 2/6, 3/14. Backward with dy = 0, 1, 0: only y1 = x1 / (1 + x0^2 + x1^2) is reached, so
        // dx0 = -x1 * 2 x0 / 6^2 = -1/9, dx1 = (6 - 2 x1^2) / 6^2 = -1/18, dx2 = 0.
        var g = new LrnGeometry(1, 3, 1, 2, 2f, 1f, 1f);
        using var acc = Accelerators.Create(accelerator);
        var (x, y, scale, dx) = (acc.Upload([1, 2, 3]), acc.Allocate(3), acc.Allocate(3), acc.Filled(3, 0f));
        acc.LrnForward(g, x, y, scale);
        acc.LrnBackward(g, x, y, scale, acc.Upload([0, 1, 0]), dx);

        TensorAssert.Close([2, 6, 14], scale.ToArray(), 0, 1e-7, "scale");
        TensorAssert.Close([1 / 2.0, 2 / 6.0, 3 / 14.0], y.ToArray(), 0, 1e-6, "y");
        TensorAssert.Close([-1 / 9.0, -1 / 18.0, 0], dx.ToArray(), 1e-7, 1e-6, "dx");
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

    /// <summary>Seeded inputs of a batch normalisation: x around <c>offset</c>, gamma near 1, running statistics
    /// away from their initial 0 and 1.</summary>
    internal sealed record BatchNormInputs(float[] X, float[] Gamma, float[] Beta, float[] RunningMean,
        float[] RunningVar)
    {
        public static BatchNormInputs Create(BatchNormGeometry g, float offset) => new(
            RandomTensors.Uniform(g.Length, 10, offset - 1f, offset + 1f), RandomTensors.Uniform(g.C, 11, 0.5f, 1.5f),
            RandomTensors.Uniform(g.C, 12), RandomTensors.Uniform(g.C, 13, -0.5f, 0.5f),
            RandomTensors.Uniform(g.C, 14, 0.5f, 2f));
    }
}
