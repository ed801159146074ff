using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>
/// Batch normalisation and local response normalisation on every accelerator: null gradient outputs, no affine
/// parameters, and a worked example of each op. The cases against the double reference are the BatchNorm2d and
/// LocalResponseNorm descriptors' (Tests/Ops).
/// </summary>
public sealed class NormalizationOracleTests
{
    private const float Momentum = BatchNorm2dDescriptor.Momentum;
    private const float Eps = BatchNorm2dDescriptor.Eps;

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void BatchNormBackwardComputesOnlyTheGradientsAskedFor(string accelerator)
    {
        var g = new BatchNormGeometry(3, 5, 63);
        var t = BatchNorm2dDescriptor.Inputs.Create(g, 0f);
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
        TensorAssert.Close(Expected.Add(dxBefore, expected.DX), dx.ToArray(), 2e-5, 1e-4, "dx alone");

        // Only dgamma (the first layer, whose input needs no gradient, with a frozen beta).
        var dgamma = acc.Upload(dgammaBefore);
        acc.BatchNormBackward(g, x, dyBuffer, gamma, mean, invStd, null, dgamma, null);
        TensorAssert.Close(Expected.Add(dgammaBefore, expected.DGamma), dgamma.ToArray(), 1e-5, 1e-5,
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
        var t = BatchNorm2dDescriptor.Inputs.Create(g, 0f);
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
        TensorAssert.Close(Expected.Add(dxBefore, ReferenceNormalization.BatchNormBackward(g,
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
}
