using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// Each accelerator's backward kernels against central differences of its own forward kernels, in float. Linear
/// ops use a large step (their differences are exact but for rounding); smooth ones a step of 1e-2, where the
/// truncation error is still well inside the tolerance. Inputs of max pooling and ReLU keep clear of their kinks.
/// </summary>
public sealed class GradientChecksOps
{
    private const float LinearStep = 1f / 32;
    private const float SmoothStep = 1e-2f;
    private const double Atol = 1e-4;
    private const double Rtol = 1e-3;

    public static TheoryData<string, string> ConvData => Accelerators.Cross(GradientChecksReference.ConvCases.Keys);

    public static TheoryData<string, string> PoolData => Accelerators.Cross(GradientChecksReference.PoolCases.Keys);

    public static TheoryData<string, string> BatchNormData =>
        Accelerators.Cross(GradientChecksReference.BatchNormCases.Keys);

    public static TheoryData<string, string> LrnData => Accelerators.Cross(GradientChecksReference.LrnCases.Keys);

    public static TheoryData<string, string> ActivationData =>
        Accelerators.Cross(Enum.GetNames<ActivationKind>());

    [Theory]
    [MemberData(nameof(ConvData))]
    public void ConvolutionGradientsMatchCentralDifferences(string accelerator, string name)
    {
        var g = GradientChecksReference.ConvCases[name];
        var (x, w, b) = (RandomTensors.Uniform(g.InputLength, 1), RandomTensors.Uniform(g.WeightLength, 2),
            RandomTensors.Uniform(g.K, 3));
        var r = RandomTensors.Uniform(g.OutputLength, 4);
        using var acc = Accelerators.Create(accelerator);
        var (xb, wb, bb, rb, y) = (acc.Upload(x), acc.Upload(w), acc.Upload(b), acc.Upload(r),
            acc.Allocate(g.OutputLength));
        double Loss()
        {
            acc.Conv2dForward(g, xb, wb, bb, y);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }

        var (dx, dw, db) = (acc.Filled(g.InputLength, 0f), acc.Filled(g.WeightLength, 0f), acc.Filled(g.K, 0f));
        acc.Conv2dBackwardData(g, rb, wb, dx);
        acc.Conv2dBackwardFilter(g, xb, rb, dw, db);

        Check(FiniteDifferences.Gradient(acc, xb, x, Loss, LinearStep), dx, $"conv {name} dx");
        Check(FiniteDifferences.Gradient(acc, wb, w, Loss, LinearStep), dw, $"conv {name} dw");
        Check(FiniteDifferences.Gradient(acc, bb, b, Loss, LinearStep), db, $"conv {name} db");
    }

    [Theory]
    [MemberData(nameof(PoolData))]
    public void MaxPoolGradientMatchesCentralDifferences(string accelerator, string name)
    {
        var g = GradientChecksReference.PoolCases[name];

        // Values 0.05 apart and a step of 0.01: no perturbation changes a window's winner.
        var x = RandomTensors.Distinct(g.InputLength, 5, 0.05f);
        var r = RandomTensors.Uniform(g.OutputLength, 6);
        using var acc = Accelerators.Create(accelerator);
        var (xb, y, dx) = (acc.Upload(x), acc.Allocate(g.OutputLength), acc.Filled(g.InputLength, 0f));
        acc.MaxPool2dBackward(g, xb, acc.Upload(r), dx);

        Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.MaxPool2dForward(g, xb, y);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, SmoothStep), dx, $"max pool {name} dx");
    }

    [Theory]
    [MemberData(nameof(PoolData))]
    public void AvgPoolGradientMatchesCentralDifferences(string accelerator, string name)
    {
        var g = GradientChecksReference.PoolCases[name];
        var (x, r) = (RandomTensors.Uniform(g.InputLength, 7), RandomTensors.Uniform(g.OutputLength, 8));
        using var acc = Accelerators.Create(accelerator);
        var (xb, y, dx) = (acc.Upload(x), acc.Allocate(g.OutputLength), acc.Filled(g.InputLength, 0f));
        acc.AvgPool2dBackward(g, acc.Upload(r), dx);

        Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.AvgPool2dForward(g, xb, y);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, LinearStep), dx, $"avg pool {name} dx");
    }

    [Theory]
    [MemberData(nameof(BatchNormData))]
    public void BatchNormGradientsMatchCentralDifferences(string accelerator, string name)
    {
        var g = GradientChecksReference.BatchNormCases[name];
        var (x, gamma, beta) = (RandomTensors.Uniform(g.Length, 19), RandomTensors.Uniform(g.C, 20, 0.5f, 1.5f),
            RandomTensors.Uniform(g.C, 21));
        var r = RandomTensors.Uniform(g.Length, 22);
        using var acc = Accelerators.Create(accelerator);
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
        Check(FiniteDifferences.Gradient(acc, xb, x, Loss, SmoothStep), dx, $"batch norm {name} dx");
        Check(FiniteDifferences.Gradient(acc, gb, gamma, Loss, LinearStep), dgamma, $"batch norm {name} dgamma");
        Check(FiniteDifferences.Gradient(acc, bb, beta, Loss, LinearStep), dbeta, $"batch norm {name} dbeta");
    }

    [Theory]
    [MemberData(nameof(LrnData))]
    public void LrnGradientMatchesCentralDifferences(string accelerator, string name)
    {
        var g = GradientChecksReference.LrnCases[name];
        var (x, r) = (RandomTensors.Uniform(g.Length, 23, -2f, 2f), RandomTensors.Uniform(g.Length, 24));
        using var acc = Accelerators.Create(accelerator);
        var (xb, y, scale, dx) = (acc.Upload(x), acc.Allocate(g.Length), acc.Allocate(g.Length),
            acc.Filled(g.Length, 0f));
        acc.LrnForward(g, xb, y, scale);
        acc.LrnBackward(g, xb, y, scale, acc.Upload(r), dx);

        Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.LrnForward(g, xb, y, scale);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, SmoothStep), dx, $"lrn {name} dx");
    }

    [Theory]
    [MemberData(nameof(ActivationData))]
    public void ActivationGradientMatchesCentralDifferences(string accelerator, string name)
    {
        const int Count = 50;
        var kind = Enum.Parse<ActivationKind>(name);
        var x = RandomTensors.AwayFromZero(Count, 9, 0.05f).Select(v => 3 * v).ToArray();
        var r = RandomTensors.Uniform(Count, 10);
        using var acc = Accelerators.Create(accelerator);
        var (xb, y, dx) = (acc.Upload(x), acc.Allocate(Count), acc.Filled(Count, 0f));
        acc.ActivationForward(kind, xb, y, Count);
        acc.ActivationBackward(kind, xb, y, acc.Upload(r), dx, Count);

        Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.ActivationForward(kind, xb, y, Count);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, SmoothStep), dx, $"{name} dx");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void SoftmaxGradientMatchesCentralDifferences(string accelerator)
    {
        const int Rows = 3, Columns = 5;
        var (x, r) = (RandomTensors.Uniform(Rows * Columns, 11, -3f, 3f), RandomTensors.Uniform(Rows * Columns, 12));
        using var acc = Accelerators.Create(accelerator);
        var (xb, y, dx) = (acc.Upload(x), acc.Allocate(Rows * Columns), acc.Filled(Rows * Columns, 0f));
        acc.SoftmaxForward(xb, y, Rows, Columns);
        acc.SoftmaxBackward(y, acc.Upload(r), dx, Rows, Columns);

        Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.SoftmaxForward(xb, y, Rows, Columns);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, SmoothStep), dx, "softmax dx");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void BiasGradientMatchesCentralDifferences(string accelerator)
    {
        const int Outer = 3, Channels = 4, Inner = 5, Count = Outer * Channels * Inner;
        var (y0, bias, r) = (RandomTensors.Uniform(Count, 13), RandomTensors.Uniform(Channels, 14),
            RandomTensors.Uniform(Count, 15));
        using var acc = Accelerators.Create(accelerator);
        var (y, biasBuffer, db) = (acc.Allocate(Count), acc.Upload(bias), acc.Filled(Channels, 0f));
        acc.BiasAddBackward(acc.Upload(r), db, Outer, Channels, Inner);

        Check(FiniteDifferences.Gradient(acc, biasBuffer, bias, () =>
        {
            acc.CopyFromHost(y0, y);
            acc.BiasAddForward(y, biasBuffer, Outer, Channels, Inner);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, LinearStep), db, "bias db");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void DropoutGradientMatchesCentralDifferences(string accelerator)
    {
        const int Count = 60;
        var (x, r) = (RandomTensors.Uniform(Count, 16), RandomTensors.Uniform(Count, 17));
        using var acc = Accelerators.Create(accelerator);
        var (xb, mask, y, dx) = (acc.Upload(x), acc.Allocate(Count), acc.Allocate(Count), acc.Filled(Count, 0f));
        acc.DropoutForward(xb, mask, y, Count, 0.4f, 2024);
        acc.DropoutBackward(mask, acc.Upload(r), dx, Count);

        Check(FiniteDifferences.Gradient(acc, xb, x, () =>
        {
            acc.DropoutForward(xb, mask, y, Count, 0.4f, 2024);
            return FiniteDifferences.Dot(y.ToArray(), r.ToDouble());
        }, LinearStep), dx, "dropout dx");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void CrossEntropyGradientMatchesCentralDifferences(string accelerator)
    {
        const int Rows = 4, Classes = 6;
        const float Scale = 1f / Rows;
        var logits = RandomTensors.Uniform(Rows * Classes, 18, -3f, 3f);
        var labels = RandomTensors.Labels(Rows, Classes, 19).Select(l => (float)l).ToArray();
        using var acc = Accelerators.Create(accelerator);
        var (z, labelBuffer) = (acc.Upload(logits), acc.Upload(labels));
        var (dz, stats) = (acc.Allocate(Rows * Classes), acc.Allocate(2));
        acc.SoftmaxCrossEntropy(z, labelBuffer, Rows, Classes, Scale, dz, stats);
        var analytic = dz.ToArray();

        // The loss the gradient belongs to is the summed loss times the gradient scale (a batch mean here).
        var numeric = FiniteDifferences.Gradient(acc, z, logits, () =>
        {
            acc.SoftmaxCrossEntropy(z, labelBuffer, Rows, Classes, Scale, dz, stats);
            return Scale * (double)stats.ToArray()[0];
        }, SmoothStep);
        TensorAssert.Close(numeric, analytic, Atol, Rtol, "cross-entropy dlogits against central differences");
    }

    private static void Check(double[] numeric, DeviceBuffer analytic, string what) =>
        TensorAssert.Close(numeric, analytic.ToArray(), Atol, Rtol, $"{what} against central differences");
}
