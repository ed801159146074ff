using GpuCnn.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>How the batch norm and LRN nodes behave in a network: training and evaluation modes, running
/// statistics, the error of a backward pass without batch statistics, and what a summary counts.</summary>
public sealed class NormalizationNodeTests
{
    private const int Batch = 3;
    private static readonly Shape Input = new(3, 2, 5);

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void TrainingUpdatesRunningStatisticsAndEvaluationUsesThem(string accelerator)
    {
        const float Momentum = 0.3f, Eps = 1e-3f;
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var bn = g.BatchNorm2d(g.Input(Input), Eps, Momentum);
        using var net = g.Build(bn, acc, maxBatch: 4, seed: 1);
        float[] gamma = [1.5f, 0.5f, -1f], beta = [0.25f, -2f, 1f];
        net.Parameter("bn1.weight").Load(gamma);
        net.Parameter("bn1.bias").Load(beta);
        var (first, second) = (RandomTensors.Uniform(Batch * Input.Size, 1, -1f, 3f),
            RandomTensors.Uniform(Batch * Input.Size, 2, -2f, 1f));
        var (runningMean, runningVar) = (new double[Input[0]], Enumerable.Repeat(1.0, Input[0]).ToArray());

        // Two training steps: each normalises with its own batch's statistics and moves the running ones.
        foreach (var batch in new[] { first, second })
        {
            net.Forward(batch, Batch);
            var (mean, biased, unbiased) = Statistics(batch);
            for (var c = 0; c < Input[0]; c++)
            {
                runningMean[c] = (1 - Momentum) * runningMean[c] + Momentum * mean[c];
                runningVar[c] = (1 - Momentum) * runningVar[c] + Momentum * unbiased[c];
            }

            TensorAssert.Close(Normalized(batch, mean, biased, gamma, beta, Eps), Output(net), 1e-5, 1e-5,
                "training-mode y");
            TensorAssert.Close(runningMean, State(net, "bn1.running_mean"), 1e-6, 1e-6, "running mean");
            TensorAssert.Close(runningVar, State(net, "bn1.running_var"), 1e-6, 1e-5, "running var");
        }

        // Evaluation: the running statistics normalise, and they stay where they are.
        net.Eval();
        var third = RandomTensors.Uniform(Batch * Input.Size, 3, 0f, 4f);
        net.Forward(third, Batch);
        TensorAssert.Close(Normalized(third, runningMean, runningVar, gamma, beta, Eps), Output(net), 1e-5, 1e-5,
            "evaluation-mode y");
        TensorAssert.Close(runningMean, State(net, "bn1.running_mean"), 1e-6, 1e-6, "running mean after eval");
        TensorAssert.Close(runningVar, State(net, "bn1.running_var"), 1e-6, 1e-5, "running var after eval");
    }

    // Backward after an evaluation-mode pass treats the running statistics as constants (PyTorch's behaviour):
    // dx = dy * gamma / sqrt(running_var + eps), dgamma = sum(dy * xhat), dbeta = sum(dy), computed here by hand.
    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void BackwardAfterAnEvaluationForwardUsesTheRunningStatistics(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var bn = g.BatchNorm2d(g.Input(Input, requiresGrad: true));
        using var net = g.Build(bn, acc, maxBatch: Batch);
        var x = RandomTensors.Uniform(Batch * Input.Size, 4);
        var dy = RandomTensors.Uniform(Batch * Input.Size, 5);
        var channels = Input[0];
        var inner = Input.Size / channels;
        float[] mean = [.. Enumerable.Range(0, channels).Select(c => 0.1f * c - 0.2f)];
        float[] variance = [.. Enumerable.Range(0, channels).Select(c => 0.5f + 0.3f * c)];
        float[] gamma = [.. Enumerable.Range(0, channels).Select(c => 1.5f - 0.4f * c)];
        net.States()[0].Load(mean);
        net.States()[1].Load(variance);
        net.Parameter("bn1.weight").Load(gamma);

        net.Eval();
        net.Forward(x, Batch);
        acc.CopyFromHost(dy, net.GradOf(bn)!);
        net.Backward(bn);

        var dx = new double[x.Length];
        var dGamma = new double[channels];
        var dBeta = new double[channels];
        for (var i = 0; i < x.Length; i++)
        {
            var c = i / inner % channels;
            var s = 1 / Math.Sqrt(variance[c] + 1e-5);
            dx[i] = dy[i] * gamma[c] * s;
            dGamma[c] += dy[i] * (x[i] - mean[c]) * s;
            dBeta[c] += dy[i];
        }

        var actual = new float[x.Length];
        acc.CopyToHost(net.GradOf(net.Input)!, actual);
        TensorAssert.Close(dx, actual, 1e-5, 1e-4, "dx");
        TensorAssert.Close(dGamma, net.Parameter("bn1.weight").GradToArray(), 1e-5, 1e-4, "dgamma");
        TensorAssert.Close(dBeta, net.Parameter("bn1.bias").GradToArray(), 1e-5, 1e-4, "dbeta");
    }

    [Fact]
    public void SummaryCountsTwoParametersPerChannel()
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(3, 8, 8));
        var conv = g.Conv2d(x, 16, 3, padding: 1);
        var bn = g.BatchNorm2d(conv);
        var plain = g.BatchNorm2d(bn, affine: false);
        var lrn = g.LocalResponseNorm(plain, 5);

        var summary = ModelSummary.Of(g, lrn);
        Assert.Equal(2 * 16, summary.Rows.Single(r => r.Name == "bn1").Parameters);
        Assert.Equal(0, summary.Rows.Single(r => r.Name == "bn2").Parameters);
        Assert.Equal(0, summary.Rows.Single(r => r.Name == "lrn1").Parameters);
        Assert.Equal(16 * 3 * 9 + 16 + 2 * 16, summary.TotalParameters);

        using var acc = new GpuCnn.Kernels.Cpu.CpuAccelerator(1);
        using var net = g.Build(lrn, acc, maxBatch: 1);
        Assert.Equal(summary.TotalParameters, ModelSummary.Of(net).TotalParameters);
        Assert.Equal(["bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var"],
            net.States().Select(s => s.Name));
    }

    // Per channel of a (Batch, C, H, W) batch: mean, biased and unbiased variance.
    private static (double[] Mean, double[] Biased, double[] Unbiased) Statistics(float[] x)
    {
        int channels = Input[0], inner = Input.Size / channels, m = Batch * inner;
        var (mean, biased, unbiased) = (new double[channels], new double[channels], new double[channels]);
        for (var c = 0; c < channels; c++)
        {
            var values = Channel(x, c).ToArray();
            mean[c] = values.Average();
            var squares = values.Sum(v => (v - mean[c]) * (v - mean[c]));
            (biased[c], unbiased[c]) = (squares / m, squares / (m - 1));
        }

        return (mean, biased, unbiased);
    }

    private static double[] Normalized(float[] x, double[] mean, double[] variance, float[] gamma, float[] beta,
        double eps)
    {
        var inner = Input.Size / Input[0];
        return x.Select((v, i) =>
        {
            var c = i / inner % Input[0];
            return gamma[c] * (v - mean[c]) / Math.Sqrt(variance[c] + eps) + beta[c];
        }).ToArray();
    }

    private static IEnumerable<double> Channel(float[] x, int c)
    {
        var inner = Input.Size / Input[0];
        return Enumerable.Range(0, x.Length).Where(i => i / inner % Input[0] == c).Select(i => (double)x[i]);
    }

    private static float[] Output(Network net) => net.OutputOf(net.Output).ToArray()[..(Batch * Input.Size)];

    private static float[] State(Network net, string name) => net.States().Single(s => s.Name == name).ToArray();
}
