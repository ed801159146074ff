using System.CommandLine;
using System.Globalization;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Cli;

// The selftest's checks of the element-wise, row-wise and buffer ops.
internal static partial class SelfTestCommand
{
    // Deterministic data in [-1, 1), the same on both accelerators.
    private static float[] Data(int count, int seed)
    {
        var random = new Random(seed);
        var data = new float[count];
        for (var i = 0; i < count; i++)
        {
            data[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return data;
    }

    private static DeviceBuffer Up(Accelerator acc, float[] data)
    {
        var buffer = acc.Allocate(data.Length);
        acc.CopyFromHost(data, buffer);
        return buffer;
    }

    private static DeviceBuffer Up(Accelerator acc, int count, int seed) => Up(acc, Data(count, seed));

    private static double Buffers(Pair p)
    {
        var n = p.Pick(1001, 1 << 18);
        return p.Compare("fill, scale, add, copy, sum of squares", acc =>
        {
            var x = Up(acc, n, 1);
            var y = acc.Allocate(n);
            acc.Fill(y, 0.25f);
            acc.AddInto(x, y, n);
            acc.Scale(y, -3f, n);
            var z = acc.Allocate(n);
            acc.Copy(y, z, n);
            var sum = Up(acc, [(float)acc.SumOfSquares(z, n) / n]);
            return [z, sum];
        }, n);
    }

    private static double Activation(Pair p, ActivationKind kind)
    {
        var n = p.Pick(999, 1 << 18);
        return p.Compare($"{kind} forward and backward", acc =>
        {
            var x = Up(acc, n, 2);
            var y = acc.Allocate(n);
            acc.ActivationForward(kind, x, y, n);
            var dx = Up(acc, n, 3);
            acc.ActivationBackward(kind, x, y, Up(acc, n, 4), dx, n);
            return [y, dx];
        });
    }

    private static double Softmax(Pair p)
    {
        int rows = p.Pick(5, 256), columns = p.Pick(10, 1000);
        return p.Compare("softmax forward and backward", acc =>
        {
            var y = acc.Allocate(rows * columns);
            acc.SoftmaxForward(Up(acc, rows * columns, 5), y, rows, columns);
            var dx = Up(acc, rows * columns, 6);
            acc.SoftmaxBackward(y, Up(acc, rows * columns, 7), dx, rows, columns);
            return [y, dx];
        }, columns);
    }

    private static double Loss(Pair p)
    {
        int rows = p.Pick(8, 512), classes = p.Pick(10, 1000);
        var labels = Enumerable.Range(0, rows).Select(r => (float)(r * 7 % classes)).ToArray();
        return p.Compare("softmax cross-entropy", acc =>
        {
            var dlogits = acc.Allocate(rows * classes);
            var stats = acc.Allocate(2);
            acc.SoftmaxCrossEntropy(Up(acc, rows * classes, 8), Up(acc, labels), rows, classes, 1f / rows, dlogits,
                stats);
            return [dlogits, stats];
        }, rows * classes);
    }

    private static double Dropout(Pair p)
    {
        var n = p.Pick(1000, 1 << 18);
        return p.Compare("dropout forward and backward", acc =>
        {
            var mask = acc.Allocate(n);
            var y = acc.Allocate(n);
            acc.DropoutForward(Up(acc, n, 9), mask, y, n, 0.3f, 0x1234_5678_9abcUL);
            var dx = Up(acc, n, 10);
            acc.DropoutBackward(mask, Up(acc, n, 11), dx, n);
            return [mask, y, dx];
        });
    }

    private static double Optimizers(Pair p)
    {
        var n = p.Pick(37, 1 << 18);
        return p.Compare("SGD (momentum, Nesterov), Adam, AdamW, Adadelta, RMSprop over three steps", acc =>
        {
            DeviceBuffer sgd = Up(acc, n, 12), velocity = acc.AllocateZeroed(n);
            DeviceBuffer adam = Up(acc, n, 13), m = acc.AllocateZeroed(n), v = acc.AllocateZeroed(n);
            DeviceBuffer adadelta = Up(acc, n, 14), square = acc.AllocateZeroed(n), delta = acc.AllocateZeroed(n);
            DeviceBuffer adamW = Up(acc, n, 15), mW = acc.AllocateZeroed(n), vW = acc.AllocateZeroed(n);
            DeviceBuffer rms = Up(acc, n, 16), rmsSquare = acc.AllocateZeroed(n), rmsMean = acc.AllocateZeroed(n),
                rmsBuffer = acc.AllocateZeroed(n);
            for (var step = 1; step <= 3; step++)
            {
                var grad = Up(acc, n, 20 + step);
                acc.SgdUpdate(new SgdSettings(0.1f, 0.9f, 0f, 1e-4f, true, step == 1), sgd, grad, velocity, n);
                acc.AdamUpdate(new AdamSettings(1e-2f, 0.9f, 0.999f, 1e-8f, 1e-4f, step), adam, grad, m, v, n);
                acc.AdadeltaUpdate(new AdadeltaSettings(1f, 0.9f, 1e-6f, 0f), adadelta, grad, square, delta, n);
                acc.AdamWUpdate(new AdamWSettings(1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, step), adamW, grad, mW, vW, n);
                acc.RmsPropUpdate(new RmsPropSettings(1e-2f, 0.99f, 1e-8f, 1e-4f, 0.9f, true), rms, grad, rmsSquare,
                    rmsMean, rmsBuffer, n);
                grad.Release();
            }

            return [sgd, velocity, adam, m, v, adadelta, square, delta, adamW, mW, vW, rms, rmsSquare, rmsMean,
                rmsBuffer];
        });
    }

    private static double Bias(Pair p)
    {
        int outer = p.Pick(3, 64), channels = p.Pick(4, 256), inner = p.Pick(5, 196);
        return p.Compare("bias add forward and backward, planes and rows", acc =>
        {
            var y = Up(acc, outer * channels * inner, 15);
            acc.BiasAddForward(y, Up(acc, channels, 16), outer, channels, inner);
            var db = Up(acc, channels, 17);
            acc.BiasAddBackward(y, db, outer, channels, inner);
            var dbRows = Up(acc, channels, 18);
            acc.BiasAddBackward(y, dbRows, outer * inner, channels, 1);
            return [y, db, dbRows];
        }, outer * inner);
    }

    private static double Concat(Pair p)
    {
        var g = new ChannelCopyGeometry(p.Pick(2, 32), p.Pick(6, 784), 3, 5, 1, 7, 4);
        return p.Compare("channel copy and accumulate", acc =>
        {
            var dst = Up(acc, g.DstLength, 19);
            var src = Up(acc, g.SrcLength, 20);
            acc.ChannelCopy(g, src, dst, accumulate: false);
            var sum = Up(acc, g.DstLength, 21);
            acc.ChannelCopy(g, src, sum, accumulate: true);
            return [dst, sum];
        });
    }

    private static double Pad2d(Pair p)
    {
        var worst = 0.0;
        foreach (var mode in Enum.GetValues<PaddingMode>())
        {
            var g = new Pad2dGeometry(p.Pick(2, 16), p.Pick(3, 32), p.Pick(5, 56), p.Pick(6, 56), 2, 1, 1, 3, mode,
                0.5f);
            worst = Math.Max(worst, p.Compare($"{mode} padding forward and backward", acc =>
            {
                var y = acc.Allocate(g.OutputLength);
                acc.Pad2dForward(g, Up(acc, g.InputLength, 22), y);
                var dx = Up(acc, g.InputLength, 23);
                acc.Pad2dBackward(g, Up(acc, g.OutputLength, 24), dx);
                return [y, dx];
            }, 16));
        }

        return worst;
    }

    private static double LeakyRelu(Pair p)
    {
        var n = p.Pick(999, 1 << 18);
        return p.Compare("leaky ReLU forward and backward", acc =>
        {
            var x = Up(acc, n, 50);
            var y = acc.Allocate(n);
            acc.LeakyReluForward(x, y, n, 0.2f);
            var dx = Up(acc, n, 51);
            acc.LeakyReluBackward(x, Up(acc, n, 52), dx, n, 0.2f);
            return [y, dx];
        });
    }

    private static double LogSoftmax(Pair p)
    {
        int rows = p.Pick(5, 256), columns = p.Pick(10, 1000);
        return p.Compare("log-softmax forward and backward", acc =>
        {
            var y = acc.Allocate(rows * columns);
            acc.LogSoftmaxForward(Up(acc, rows * columns, 53), y, rows, columns);
            var dx = Up(acc, rows * columns, 54);
            acc.LogSoftmaxBackward(y, Up(acc, rows * columns, 55), dx, rows, columns);
            return [y, dx];
        }, columns);
    }
}
