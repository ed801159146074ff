using GpuCnn.Kernels.Ops;

namespace GpuCnn.Tests.Reference;

/// <summary>What training-mode batch normalisation produces: the output, the batch mean and 1/sqrt(var + eps) of
/// each channel, and the running statistics after the update.</summary>
internal sealed record BatchNormResult(double[] Y, double[] Mean, double[] InvStd, double[] RunningMean,
    double[] RunningVar);

/// <summary>
/// The oracle for batch and local response normalisation, in the manner of <see cref="ReferenceOps"/>: PyTorch's
/// definitions (BatchNorm2d, LocalResponseNorm) in double precision with plain loops. Backward functions return
/// fresh gradients and take no saved state: each derives what it needs from x, so it is the exact derivative of the
/// forward function beside it.
/// </summary>
internal static class ReferenceNormalization
{
    // ---- batch normalisation: x:(N, C, Inner), statistics per channel over N*Inner values ----

    /// <summary>BatchNorm2d in training mode: the biased batch variance normalises, the running variance takes the
    /// unbiased one (the biased one when a channel has a single value).</summary>
    public static BatchNormResult BatchNormTraining(in BatchNormGeometry g, double[] x, double[]? gamma,
        double[]? beta, double[] runningMean, double[] runningVar, double momentum, double eps)
    {
        var y = new double[g.Length];
        var (mean, invStd) = (new double[g.C], new double[g.C]);
        var (newMean, newVar) = (new double[g.C], new double[g.C]);
        var m = g.PerChannel;
        for (var c = 0; c < g.C; c++)
        {
            var values = Channel(g, x, c).ToArray();
            mean[c] = values.Sum() / m;
            var squares = values.Sum(v => (v - mean[c]) * (v - mean[c]));
            var variance = squares / m;
            var unbiased = m > 1 ? squares / (m - 1) : variance;
            invStd[c] = 1 / Math.Sqrt(variance + eps);
            newMean[c] = (1 - momentum) * runningMean[c] + momentum * mean[c];
            newVar[c] = (1 - momentum) * runningVar[c] + momentum * unbiased;
            foreach (var i in ChannelIndices(g, c))
            {
                y[i] = Gamma(gamma, c) * (x[i] - mean[c]) * invStd[c] + Beta(beta, c);
            }
        }

        return new BatchNormResult(y, mean, invStd, newMean, newVar);
    }

    /// <summary>BatchNorm2d in evaluation mode: y = gamma (x - runningMean) / sqrt(runningVar + eps) + beta.</summary>
    public static double[] BatchNormInference(in BatchNormGeometry g, double[] x, double[]? gamma, double[]? beta,
        double[] runningMean, double[] runningVar, double eps)
    {
        var y = new double[g.Length];
        for (var c = 0; c < g.C; c++)
        {
            foreach (var i in ChannelIndices(g, c))
            {
                y[i] = Gamma(gamma, c) * (x[i] - runningMean[c]) / Math.Sqrt(runningVar[c] + eps) + Beta(beta, c);
            }
        }

        return y;
    }

    /// <summary>
    /// Gradients of training-mode batch normalisation for output gradient dy, with the batch statistics recomputed
    /// from x: dbeta = sum(dy), dgamma = sum(dy xhat), and, since d xhat_j / d x_i = invStd (delta_ij - 1/M -
    /// xhat_i xhat_j / M), dx_i = gamma invStd (dy_i - mean(dy) - xhat_i mean(dy xhat)).
    /// </summary>
    public static (double[] DX, double[] DGamma, double[] DBeta) BatchNormBackward(in BatchNormGeometry g,
        double[] x, double[] dy, double[]? gamma, double eps)
    {
        var dx = new double[g.Length];
        var (dgamma, dbeta) = (new double[g.C], new double[g.C]);
        var m = g.PerChannel;
        for (var c = 0; c < g.C; c++)
        {
            var indices = ChannelIndices(g, c).ToArray();
            var mean = indices.Sum(i => x[i]) / m;
            var invStd = 1 / Math.Sqrt(indices.Sum(i => (x[i] - mean) * (x[i] - mean)) / m + eps);
            double XHat(int i) => (x[i] - mean) * invStd;
            dbeta[c] = indices.Sum(i => dy[i]);
            dgamma[c] = indices.Sum(i => dy[i] * XHat(i));
            foreach (var i in indices)
            {
                dx[i] = Gamma(gamma, c) * invStd * (dy[i] - dbeta[c] / m - XHat(i) * dgamma[c] / m);
            }
        }

        return (dx, dgamma, dbeta);
    }

    // ---- local response normalisation: x:(N, C, Inner), windows across channels ----

    /// <summary>LocalResponseNorm: scale = K + Alpha/Size * sum of x[c']^2 over c' in [c - Size/2, c + (Size-1)/2]
    /// within [0, C), and y = x / scale^Beta.</summary>
    public static (double[] Y, double[] Scale) LrnForward(in LrnGeometry g, double[] x)
    {
        var (y, scale) = (new double[g.Length], new double[g.Length]);
        for (var n = 0; n < g.N; n++)
        {
            for (var c = 0; c < g.C; c++)
            {
                for (var i = 0; i < g.Inner; i++)
                {
                    var sum = 0.0;
                    foreach (var w in Window(g, c))
                    {
                        var v = x[(n * g.C + w) * g.Inner + i];
                        sum += v * v;
                    }

                    var at = (n * g.C + c) * g.Inner + i;
                    scale[at] = g.K + (double)g.Alpha / g.Size * sum;
                    y[at] = x[at] / Math.Pow(scale[at], g.Beta);
                }
            }
        }

        return (y, scale);
    }

    /// <summary>
    /// dx of local response normalisation by the chain rule, output by output: y_c = x_c scale_c^-Beta sends
    /// dy_c scale_c^-Beta to x_c, and -Beta dy_c x_c scale_c^(-Beta-1) * Alpha/Size * 2 x_w to every x_w of its
    /// window.
    /// </summary>
    public static double[] LrnBackward(in LrnGeometry g, double[] x, double[] dy)
    {
        var scale = LrnForward(g, x).Scale;
        var dx = new double[g.Length];
        for (var n = 0; n < g.N; n++)
        {
            for (var c = 0; c < g.C; c++)
            {
                for (var i = 0; i < g.Inner; i++)
                {
                    var at = (n * g.C + c) * g.Inner + i;
                    dx[at] += dy[at] * Math.Pow(scale[at], -g.Beta);
                    var dScale = -g.Beta * dy[at] * x[at] * Math.Pow(scale[at], -g.Beta - 1);
                    foreach (var w in Window(g, c))
                    {
                        var from = (n * g.C + w) * g.Inner + i;
                        dx[from] += dScale * (double)g.Alpha / g.Size * 2 * x[from];
                    }
                }
            }
        }

        return dx;
    }

    /// <summary>The channels in the window of channel c that lie inside [0, C).</summary>
    public static IEnumerable<int> Window(LrnGeometry g, int c) =>
        Enumerable.Range(c - g.Size / 2, g.Size).Where(w => w >= 0 && w < g.C);

    private static double Gamma(double[]? gamma, int c) => gamma?[c] ?? 1;

    private static double Beta(double[]? beta, int c) => beta?[c] ?? 0;

    private static IEnumerable<int> ChannelIndices(BatchNormGeometry g, int c) =>
        from n in Enumerable.Range(0, g.N)
        from i in Enumerable.Range(0, g.Inner)
        select (n * g.C + c) * g.Inner + i;

    private static IEnumerable<double> Channel(BatchNormGeometry g, double[] x, int c) =>
        ChannelIndices(g, c).Select(i => x[i]);
}
