using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Ops;

namespace GpuCnn.Tests.Reference;

/// <summary>
/// The oracle: every op of the accelerator contract written from its mathematical definition in double precision,
/// with plain nested loops and no cleverness, so that it can be checked by reading it. Tensors are flat NCHW arrays.
/// Backward functions return fresh gradients (they do not add); tests add a prefilled buffer themselves.
/// </summary>
internal static partial class ReferenceOps
{
    // ---- convolution ----

    /// <summary>Output extent of one axis: the number of window positions that fit in the padded input.</summary>
    public static int ConvOutputSize(int input, int padBegin, int padEnd, int kernel, int stride, int dilation)
    {
        // Count window starts directly rather than trusting a closed formula: a start is valid when the last tap,
        // at start + dilation*(kernel-1), is still inside the padded extent.
        var count = 0;
        for (var start = -padBegin; start + dilation * (kernel - 1) < input + padEnd; start += stride)
        {
            count++;
        }

        return count;
    }

    // x:(N,C,H,W) w:(K,C/G,R,S) b:(K)? -> y:(N,K,P,Q)
    public static double[] Conv2dForward(in Conv2dGeometry g, double[] x, double[] w, double[]? b)
    {
        var (p, q) = ConvOutput(g);
        var y = new double[g.N * g.K * p * q];
        ForEachConvTap(g, (yIndex, xIndex, wIndex) => y[yIndex] += x[xIndex] * w[wIndex]);
        if (b is not null)
        {
            for (var i = 0; i < y.Length; i++)
            {
                y[i] += b[i / (p * q) % g.K];
            }
        }

        return y;
    }

    // dy:(N,K,P,Q) w:(K,C/G,R,S) -> dx:(N,C,H,W), the adjoint of the forward map x -> y.
    public static double[] Conv2dBackwardData(in Conv2dGeometry g, double[] dy, double[] w)
    {
        var dx = new double[g.N * g.C * g.H * g.W];
        ForEachConvTap(g, (yIndex, xIndex, wIndex) => dx[xIndex] += w[wIndex] * dy[yIndex]);
        return dx;
    }

    // x:(N,C,H,W) dy:(N,K,P,Q) -> dw:(K,C/G,R,S), db:(K)
    public static (double[] DW, double[] DB) Conv2dBackwardFilter(in Conv2dGeometry g, double[] x, double[] dy)
    {
        var (p, q) = ConvOutput(g);
        var dw = new double[g.K * (g.C / g.Groups) * g.R * g.S];
        var db = new double[g.K];
        ForEachConvTap(g, (yIndex, xIndex, wIndex) => dw[wIndex] += x[xIndex] * dy[yIndex]);
        for (var i = 0; i < dy.Length; i++)
        {
            db[i / (p * q) % g.K] += dy[i];
        }

        return (dw, db);
    }

    /// <summary>Output height and width of a convolution, counted by <see cref="ConvOutputSize"/>.</summary>
    public static (int P, int Q) ConvOutput(in Conv2dGeometry g) => (
        ConvOutputSize(g.H, g.PadTop, g.PadBottom, g.R, g.StrideH, g.DilationH),
        ConvOutputSize(g.W, g.PadLeft, g.PadRight, g.S, g.StrideW, g.DilationW));

    // Calls tap(y index, x index, w index) for every product x * w that the convolution sums: output channel k of
    // group k / (K/G) sees only that group's C/G input channels; taps falling into the padding contribute zero and
    // are skipped.
    private static void ForEachConvTap(in Conv2dGeometry g, Action<int, int, int> tap)
    {
        var (outH, outW) = ConvOutput(g);
        int cPerGroup = g.C / g.Groups, kPerGroup = g.K / g.Groups;
        for (var n = 0; n < g.N; n++)
        {
            for (var k = 0; k < g.K; k++)
            {
                var group = k / kPerGroup;
                for (var p = 0; p < outH; p++)
                {
                    for (var q = 0; q < outW; q++)
                    {
                        var yIndex = ((n * g.K + k) * outH + p) * outW + q;
                        for (var c = 0; c < cPerGroup; c++)
                        {
                            for (var r = 0; r < g.R; r++)
                            {
                                for (var s = 0; s < g.S; s++)
                                {
                                    var h = p * g.StrideH - g.PadTop + r * g.DilationH;
                                    var w = q * g.StrideW - g.PadLeft + s * g.DilationW;
                                    if (h < 0 || h >= g.H || w < 0 || w >= g.W)
                                    {
                                        continue;
                                    }

                                    var channel = group * cPerGroup + c;
                                    var xIndex = ((n * g.C + channel) * g.H + h) * g.W + w;
                                    var wIndex = ((k * cPerGroup + c) * g.R + r) * g.S + s;
                                    tap(yIndex, xIndex, wIndex);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // ---- pooling ----

    /// <summary>Output extent of one pooling axis (floor mode): window starts whose window ends inside the
    /// padded input.</summary>
    public static int PoolOutputSize(int input, int pad, int kernel, int stride) =>
        ConvOutputSize(input, pad, pad, kernel, stride, 1);

    /// <summary>Output height and width of a pooling, counted by <see cref="PoolOutputSize"/>.</summary>
    public static (int P, int Q) PoolOutput(in Pool2dGeometry g) => g.CeilMode
        ? (CeilPoolOutputSize(g.H, g.PadH, g.KernelH, g.StrideH), CeilPoolOutputSize(g.W, g.PadW, g.KernelW, g.StrideW))
        : (PoolOutputSize(g.H, g.PadH, g.KernelH, g.StrideH), PoolOutputSize(g.W, g.PadW, g.KernelW, g.StrideW));

    /// <summary>Output extent in ceil mode, counted: window starts that begin before the end of the input and its
    /// top padding, and whose window ends at most stride - 1 past the padded input.</summary>
    public static int CeilPoolOutputSize(int input, int pad, int kernel, int stride)
    {
        var count = 0;
        while (count * stride - pad < input && count * stride + kernel <= input + 2 * pad + stride - 1)
        {
            count++;
        }

        return count;
    }

    // x:(N,C,H,W) -> y:(N,C,P,Q); padding never wins (it is -infinity).
    public static double[] MaxPool2dForward(in Pool2dGeometry g, double[] x)
    {
        var y = new double[PoolOutputLength(g)];
        ForEachPoolWindow(g, (o, area, cells) => y[o] = x[FirstMaximum(x, cells)]);
        return y;
    }

    // dx[i] = sum of dy over the windows whose first maximum is element i.
    public static double[] MaxPool2dBackward(in Pool2dGeometry g, double[] x, double[] dy)
    {
        var dx = new double[x.Length];
        ForEachPoolWindow(g, (o, area, cells) => dx[FirstMaximum(x, cells)] += dy[o]);
        return dx;
    }

    // The divisor is the window's area inside the padded input (PyTorch's count_include_pad=True).
    public static double[] AvgPool2dForward(in Pool2dGeometry g, double[] x)
    {
        var y = new double[PoolOutputLength(g)];
        ForEachPoolWindow(g, (o, area, cells) => y[o] = cells.Sum(i => x[i]) / area);
        return y;
    }

    public static double[] AvgPool2dBackward(in Pool2dGeometry g, double[] dy)
    {
        var dx = new double[g.N * g.C * g.H * g.W];
        ForEachPoolWindow(g, (o, area, cells) =>
        {
            foreach (var i in cells)
            {
                dx[i] += dy[o] / area;
            }
        });
        return dx;
    }

    private static int PoolOutputLength(in Pool2dGeometry g)
    {
        var (p, q) = PoolOutput(g);
        return g.N * g.C * p * q;
    }

    private static int FirstMaximum(double[] x, List<int> cells)
    {
        var best = cells[0];
        foreach (var i in cells)
        {
            if (x[i] > x[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Calls window(output index, area, cells) for every output element: area counts the window's cells
    /// inside the padded input [-pad, size + pad), real or padding; cells lists the real input elements in row-major
    /// window order. Pooling oracles are written on it.</summary>
    public static void ForEachPoolWindow(in Pool2dGeometry g, Action<int, int, List<int>> window)
    {
        var (outH, outW) = PoolOutput(g);
        var cells = new List<int>();
        for (var plane = 0; plane < g.N * g.C; plane++)
        {
            for (var p = 0; p < outH; p++)
            {
                for (var q = 0; q < outW; q++)
                {
                    cells.Clear();
                    var area = 0;
                    for (var h = p * g.StrideH - g.PadH; h < p * g.StrideH - g.PadH + g.KernelH; h++)
                    {
                        for (var w = q * g.StrideW - g.PadW; w < q * g.StrideW - g.PadW + g.KernelW; w++)
                        {
                            if (h >= -g.PadH && h < g.H + g.PadH && w >= -g.PadW && w < g.W + g.PadW)
                            {
                                area++;
                            }

                            if (h >= 0 && h < g.H && w >= 0 && w < g.W)
                            {
                                cells.Add((plane * g.H + h) * g.W + w);
                            }
                        }
                    }

                    window((plane * outH + p) * outW + q, area, cells);
                }
            }
        }
    }

    // ---- element-wise ----

    /// <summary>y = f(x) for an activation: its oracle lives in its descriptor (Tests/Ops), which throws for a kind
    /// that has none.</summary>
    public static double[] Activation(ActivationKind kind, double[] x) => ActivationDescriptor.For(kind).Forward(x);

    // x, y:(rows, columns); each row becomes exp(x - max) / sum(exp(x - max)).
    public static double[] Softmax(double[] x, int rows, int columns)
    {
        var y = new double[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            var max = double.NegativeInfinity;
            for (var c = 0; c < columns; c++)
            {
                max = Math.Max(max, x[r * columns + c]);
            }

            var sum = 0.0;
            for (var c = 0; c < columns; c++)
            {
                sum += Math.Exp(x[r * columns + c] - max);
            }

            for (var c = 0; c < columns; c++)
            {
                y[r * columns + c] = Math.Exp(x[r * columns + c] - max) / sum;
            }
        }

        return y;
    }

    // dx_i = sum_j dy_j * d(y_j)/d(x_i) with d(y_j)/d(x_i) = y_j (delta_ij - y_i): the full Jacobian, row by row.
    public static double[] SoftmaxBackward(double[] y, double[] dy, int rows, int columns)
    {
        var dx = new double[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            for (var i = 0; i < columns; i++)
            {
                for (var j = 0; j < columns; j++)
                {
                    var yi = y[r * columns + i];
                    var yj = y[r * columns + j];
                    var jacobian = i == j ? yi * (1 - yi) : -yi * yj;
                    dx[r * columns + i] += jacobian * dy[r * columns + j];
                }
            }
        }

        return dx;
    }

    /// <summary>The inverted-dropout mask: element i is kept, scaled by 1/(1-p), when its uniform draw is at least
    /// p. The counter-based generator is itself part of the contract (every backend must draw the same numbers),
    /// so the reference calls it rather than restating it.</summary>
    public static double[] DropoutMask(ulong seed, int count, float p) => Enumerable.Range(0, count)
        .Select(i => CounterRandom.Uniform(seed, (uint)i) >= p ? 1.0 / (1.0 - p) : 0.0).ToArray();

    public static double[] Multiply(double[] a, double[] b) => a.Select((v, i) => v * b[i]).ToArray();

    // ---- dense ----

    // C = alpha op(A) op(B) + beta C, row-major; op(A):(m,k) stored (k,m) when transposed, op(B):(k,n) stored
    // (n,k) when transposed. beta = 0 means C is not read at all (BLAS), so garbage in C cannot leak through.
    public static double[] Gemm(bool transA, bool transB, int m, int n, int k, double alpha, double[] a, double[] b,
        double beta, double[] c)
    {
        var result = new double[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0.0;
                for (var p = 0; p < k; p++)
                {
                    var aip = transA ? a[p * m + i] : a[i * k + p];
                    var bpj = transB ? b[j * k + p] : b[p * n + j];
                    sum += aip * bpj;
                }

                result[i * n + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * n + j]);
            }
        }

        return result;
    }

    // y:(outer, channels, inner) + bias:(channels)
    public static double[] BiasAdd(double[] y, double[] bias, int outer, int channels, int inner) =>
        y.Select((v, i) => v + bias[i / inner % channels]).ToArray();

    public static double[] BiasAddBackward(double[] dy, int outer, int channels, int inner)
    {
        var db = new double[channels];
        for (var i = 0; i < outer * channels * inner; i++)
        {
            db[i / inner % channels] += dy[i];
        }

        return db;
    }

    // ---- loss ----

    /// <summary>Softmax cross-entropy over logits:(rows, classes): the gradient (softmax - onehot) * gradScale,
    /// the summed loss -log softmax[label], and how many rows have their first arg-max at the label.</summary>
    public static (double[] DLogits, double LossSum, int Correct) SoftmaxCrossEntropy(
        double[] logits, int[] labels, int rows, int classes, double gradScale)
    {
        var probabilities = Softmax(logits, rows, classes);
        var dlogits = new double[rows * classes];
        double lossSum = 0;
        var correct = 0;
        for (var r = 0; r < rows; r++)
        {
            var argMax = 0;
            for (var c = 0; c < classes; c++)
            {
                var i = r * classes + c;
                dlogits[i] = (probabilities[i] - (c == labels[r] ? 1 : 0)) * gradScale;
                if (logits[i] > logits[r * classes + argMax])
                {
                    argMax = c;
                }
            }

            // log-sum-exp shifted by the maximum, so that large logits stay finite.
            var max = logits.Skip(r * classes).Take(classes).Max();
            var logSumExp = max + Math.Log(logits.Skip(r * classes).Take(classes).Sum(z => Math.Exp(z - max)));
            lossSum += logSumExp - logits[r * classes + labels[r]];
            correct += argMax == labels[r] ? 1 : 0;
        }

        return (dlogits, lossSum, correct);
    }

    // ---- optimizers (PyTorch 1.13's single-tensor loops, maximize = false, no AMSGrad) ----

    /// <summary>torch.optim.SGD: d = g + wd*p; with momentum buf = d on the first step, else
    /// momentum*buf + (1-dampening)*d; Nesterov steps along d + momentum*buf, otherwise along buf.</summary>
    public static void SgdStep(in SgdSettings s, double[] param, double[] grad, double[] velocity)
    {
        double lr = s.LearningRate, momentum = s.Momentum, dampening = s.Dampening, decay = s.WeightDecay;
        for (var i = 0; i < param.Length; i++)
        {
            var d = grad[i] + decay * param[i];
            if (momentum != 0)
            {
                velocity[i] = s.FirstStep ? d : momentum * velocity[i] + (1 - dampening) * d;
                d = s.Nesterov ? d + momentum * velocity[i] : velocity[i];
            }

            param[i] -= lr * d;
        }
    }

    /// <summary>torch.optim.Adam: g += wd*p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
    /// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).</summary>
    public static void AdamStep(in AdamSettings s, double[] param, double[] grad, double[] m, double[] v)
    {
        double beta1 = s.Beta1, beta2 = s.Beta2, decay = s.WeightDecay, lr = s.LearningRate;
        var biasCorrection1 = 1 - Math.Pow(beta1, s.Step);
        var biasCorrection2 = 1 - Math.Pow(beta2, s.Step);
        for (var i = 0; i < param.Length; i++)
        {
            var g = grad[i] + decay * param[i];
            m[i] = beta1 * m[i] + (1 - beta1) * g;
            v[i] = beta2 * v[i] + (1 - beta2) * g * g;
            var denominator = Math.Sqrt(v[i]) / Math.Sqrt(biasCorrection2) + s.Epsilon;
            param[i] -= lr / biasCorrection1 * m[i] / denominator;
        }
    }

    /// <summary>torch.optim.Adadelta: g += wd*p; sq = rho sq + (1-rho) g^2;
    /// delta = sqrt(acc + eps) / sqrt(sq + eps) * g; acc = rho acc + (1-rho) delta^2; p -= lr delta.</summary>
    public static void AdadeltaStep(in AdadeltaSettings s, double[] param, double[] grad, double[] squareAvg,
        double[] accDelta)
    {
        double rho = s.Rho, eps = s.Epsilon, decay = s.WeightDecay, lr = s.LearningRate;
        for (var i = 0; i < param.Length; i++)
        {
            var g = grad[i] + decay * param[i];
            squareAvg[i] = rho * squareAvg[i] + (1 - rho) * g * g;
            var delta = Math.Sqrt(accDelta[i] + eps) / Math.Sqrt(squareAvg[i] + eps) * g;
            accDelta[i] = rho * accDelta[i] + (1 - rho) * delta * delta;
            param[i] -= lr * delta;
        }
    }
}
