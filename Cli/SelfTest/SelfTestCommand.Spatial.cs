using System.CommandLine;
using System.Globalization;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Cli;

// The selftest's checks of the products and the windowed ops.
internal static partial class SelfTestCommand
{
    private static double Gemm(Pair p)
    {
        int m = p.Pick(7, 384), n = p.Pick(5, 256), k = p.Pick(3, 512);
        var worst = 0.0;
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            worst = Math.Max(worst, p.Compare($"GEMM {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')}", acc =>
            {
                var c = Up(acc, m * n, 25);
                acc.Gemm(ta, tb, m, n, k, 0.5f, Up(acc, m * k, 26), Up(acc, k * n, 27), 1f, c);
                return [c];
            }, k));
        }

        return worst;
    }

    private static double Conv2d(Pair p)
    {
        var g = p.Large
            ? new Conv2dGeometry(16, 64, 28, 28, 64, 3, 3, 1, 1, 1, 1, 1, 1)
            : new Conv2dGeometry(2, 4, 7, 6, 6, 3, 3, 2, 1, 1, 1, 1, 0, 1, 1, 2);
        return p.Compare("convolution forward, data and filter gradients", acc =>
        {
            var x = Up(acc, g.InputLength, 28);
            var w = Up(acc, g.WeightLength, 29);
            var y = acc.Allocate(g.OutputLength);
            acc.Conv2dForward(g, x, w, Up(acc, g.K, 30), y);
            var dy = Up(acc, g.OutputLength, 31);
            var dx = Up(acc, g.InputLength, 32);
            acc.Conv2dBackwardData(g, dy, w, dx);
            var dw = Up(acc, g.WeightLength, 33);
            var db = Up(acc, g.K, 34);
            acc.Conv2dBackwardFilter(g, x, dy, dw, db);
            return [y, dx, dw, db];
        }, g.N * g.P * g.Q);
    }

    private static double Pool(Pair p, bool max, bool includePad = true)
    {
        var g = p.Large
            ? new Pool2dGeometry(32, 64, 56, 56, 3, 3, 2, 2, 1, 1, CountIncludePad: includePad)
            : new Pool2dGeometry(2, 3, 7, 7, 3, 3, 2, 2, 1, 1, CeilMode: true, CountIncludePad: includePad);
        return p.Compare($"{(max ? "max" : "average")} pooling forward and backward", acc =>
        {
            var x = Up(acc, g.InputLength, 35);
            var y = acc.Allocate(g.OutputLength);
            var dx = Up(acc, g.InputLength, 36);
            var dy = Up(acc, g.OutputLength, 37);
            if (max)
            {
                acc.MaxPool2dForward(g, x, y);
                acc.MaxPool2dBackward(g, x, dy, dx);
            }
            else
            {
                acc.AvgPool2dForward(g, x, y);
                acc.AvgPool2dBackward(g, dy, dx);
            }

            return [y, dx];
        }, 9);
    }

    private static double BatchNorm(Pair p)
    {
        var g = new BatchNormGeometry(p.Pick(3, 32), p.Pick(4, 64), p.Pick(5, 784));
        return p.Compare("batch norm training and inference forward, backward", acc =>
        {
            var x = Up(acc, g.Length, 38);
            DeviceBuffer gamma = Up(acc, g.C, 39), beta = Up(acc, g.C, 40);
            DeviceBuffer y = acc.Allocate(g.Length), mean = acc.Allocate(g.C), invStd = acc.Allocate(g.C);
            DeviceBuffer runningMean = acc.AllocateZeroed(g.C), runningVar = acc.Filled(g.C, 1f);
            acc.BatchNormForwardTraining(g, x, gamma, beta, y, mean, invStd, runningMean, runningVar, 0.1f, 1e-5f);
            var inference = acc.Allocate(g.Length);
            acc.BatchNormForwardInference(g, x, gamma, beta, runningMean, runningVar, 1e-5f, inference);
            DeviceBuffer dx = Up(acc, g.Length, 41), dgamma = Up(acc, g.C, 42), dbeta = Up(acc, g.C, 43);
            acc.BatchNormBackward(g, x, Up(acc, g.Length, 44), gamma, mean, invStd, dx, dgamma, dbeta);
            return [y, mean, invStd, runningMean, runningVar, inference, dx, dgamma, dbeta];
        }, g.N * g.Inner);
    }

    private static double Lrn(Pair p)
    {
        var g = new LrnGeometry(p.Pick(2, 16), p.Pick(7, 96), p.Pick(6, 729), 5, 1e-4f, 0.75f, 2f);
        return p.Compare("local response norm forward and backward", acc =>
        {
            var x = Up(acc, g.Length, 45);
            DeviceBuffer y = acc.Allocate(g.Length), scale = acc.Allocate(g.Length);
            acc.LrnForward(g, x, y, scale);
            var dx = Up(acc, g.Length, 46);
            acc.LrnBackward(g, x, y, scale, Up(acc, g.Length, 47), dx);
            return [y, scale, dx];
        }, g.Size);
    }

    private static DeviceBuffer Filled(this Accelerator acc, int length, float value)
    {
        var buffer = acc.Allocate(length);
        acc.Fill(buffer, value);
        return buffer;
    }

    private static double Upsample2d(Pair p)
    {
        var g = p.Large ? new Upsample2dGeometry(32, 64, 28, 28, 2, 2) : new Upsample2dGeometry(2, 3, 5, 4, 3, 2);
        return p.Compare("nearest upsampling forward and backward", acc =>
        {
            var y = acc.Allocate(g.OutputLength);
            acc.Upsample2dForward(g, Up(acc, g.InputLength, 56), y);
            var dx = Up(acc, g.InputLength, 57);
            acc.Upsample2dBackward(g, Up(acc, g.OutputLength, 58), dx);
            return [y, dx];
        }, g.ScaleH * g.ScaleW);
    }
}
