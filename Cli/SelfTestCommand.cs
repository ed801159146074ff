using System.CommandLine;
using System.Globalization;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Cli;

/// <summary>
/// <c>gpucnn selftest --device D</c>: every op and its gradients on device D against the managed CPU backend, on a
/// small and a large shape each, with one verdict line per op and a non-zero exit code when any op fails. For
/// users checking a new GPU, and the check that travels to a GPU machine.
/// </summary>
/// <remarks>Outputs must agree as <c>|d - c| &lt;= atol + rtol * |c|</c> (atol 1e-4, rtol 1e-3, both scaled by
/// the square root of a reduction's length), c the CPU backend's value: different summation orders on a GPU
/// round differently, never by more.</remarks>
internal static class SelfTestCommand
{
    private const double Atol = 1e-4;
    private const double Rtol = 1e-3;

    public static Command Create()
    {
        var device = CommonOptions.Device();
        var smallOnly = new Option<bool>("--small-only") { Description = "Skip the large shapes" };
        var command = new Command("selftest",
            "Check every op and its gradients on a device against the managed CPU backend")
        {
            device, smallOnly,
        };
        command.SetAction(parse => Run(parse.GetValue(device)!, parse.GetValue(smallOnly)));
        return command;
    }

    private static int Run(string deviceName, bool smallOnly)
    {
        using var device = Devices.Open(deviceName);
        using var cpu = new CpuAccelerator();
        Console.WriteLine($"selftest on {device.Name} against {cpu.Name}");
        var failed = 0;
        foreach (var (op, check) in Checks)
        {
            var started = DateTime.UtcNow;
            string verdict;
            try
            {
                var worst = 0.0;
                foreach (var large in smallOnly ? [false] : new[] { false, true })
                {
                    worst = Math.Max(worst, check(new Pair(cpu, device, large)));
                }

                verdict = string.Create(CultureInfo.InvariantCulture,
                    $"PASS  {op,-20} worst error {worst:F3} of the tolerance");
            }
            catch (Exception e) when (e is SelfTestMismatch or NotImplementedException or ArgumentException
                or InvalidOperationException or DeviceMemoryException)
            {
                failed++;
                verdict = $"FAIL  {op,-20} {e.Message}";
            }

            var seconds = (DateTime.UtcNow - started).TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verdict} ({seconds:F1} s)"));
        }

        Console.WriteLine(failed == 0 ? $"selftest passed: {Checks.Length} ops" : $"selftest FAILED: {failed} of " +
            $"{Checks.Length} ops");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>The two accelerators and the shape size of one round; each check returns the worst ratio of
    /// error to tolerance it saw (at most 1 when it passes).</summary>
    private sealed record Pair(Accelerator Cpu, Accelerator Device, bool Large)
    {
        public int Pick(int small, int large) => Large ? large : small;

        /// <summary>Runs <paramref name="body"/> on both accelerators and compares every output it returns;
        /// <paramref name="reduction"/> is the longest sum behind one output, which scales the tolerance.</summary>
        public double Compare(string what, Func<Accelerator, DeviceBuffer[]> body, int reduction = 1)
        {
            var expected = Read(Cpu, body);
            var actual = Read(Device, body);
            var scale = Math.Sqrt(Math.Max(reduction, 1));
            var worst = 0.0;
            for (var o = 0; o < expected.Length; o++)
            {
                for (var i = 0; i < expected[o].Length; i++)
                {
                    double c = expected[o][i], d = actual[o][i];
                    var tolerance = (Atol + Rtol * Math.Abs(c)) * scale;
                    var ratio = double.IsNaN(c) && double.IsNaN(d) ? 0 : Math.Abs(d - c) / tolerance;
                    if (!(ratio <= 1))
                    {
                        throw new SelfTestMismatch(string.Create(CultureInfo.InvariantCulture,
                            $"{what} ({(Large ? "large" : "small")}): output {o} element {i} is {d:G9} on the " +
                            $"device, {c:G9} on the CPU"));
                    }

                    worst = Math.Max(worst, ratio);
                }
            }

            return worst;
        }

        private static float[][] Read(Accelerator acc, Func<Accelerator, DeviceBuffer[]> body)
        {
            var buffers = body(acc);
            var result = buffers.Select(b => b.ToArray()).ToArray();
            foreach (var b in buffers.Distinct())
            {
                b.Release();
            }

            return result;
        }
    }

    private sealed class SelfTestMismatch(string message) : Exception(message);

    private static readonly (string Op, Func<Pair, double> Check)[] Checks =
    [
        ("Buffers", Buffers),
        ("Activation Relu", p => Activation(p, ActivationKind.Relu)),
        ("Activation Tanh", p => Activation(p, ActivationKind.Tanh)),
        ("Activation Sigmoid", p => Activation(p, ActivationKind.Sigmoid)),
        ("Softmax", Softmax),
        ("SoftmaxCrossEntropy", Loss),
        ("Dropout", Dropout),
        ("Optimizers", Optimizers),
        ("Bias", Bias),
        ("Concat", Concat),
        ("Pad2d", Pad2d),
        ("Gemm", Gemm),
        ("Conv2d", Conv2d),
        ("MaxPool2d", p => Pool(p, max: true)),
        ("AvgPool2d", p => Pool(p, max: false)),
        ("BatchNorm", BatchNorm),
        ("LRN", Lrn),
    ];

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
        return p.Compare("SGD (momentum, Nesterov), Adam, Adadelta over three steps", acc =>
        {
            DeviceBuffer sgd = Up(acc, n, 12), velocity = acc.AllocateZeroed(n);
            DeviceBuffer adam = Up(acc, n, 13), m = acc.AllocateZeroed(n), v = acc.AllocateZeroed(n);
            DeviceBuffer adadelta = Up(acc, n, 14), square = acc.AllocateZeroed(n), delta = acc.AllocateZeroed(n);
            for (var step = 1; step <= 3; step++)
            {
                var grad = Up(acc, n, 20 + step);
                acc.SgdUpdate(new SgdSettings(0.1f, 0.9f, 0f, 1e-4f, true, step == 1), sgd, grad, velocity, n);
                acc.AdamUpdate(new AdamSettings(1e-2f, 0.9f, 0.999f, 1e-8f, 1e-4f, step), adam, grad, m, v, n);
                acc.AdadeltaUpdate(new AdadeltaSettings(1f, 0.9f, 1e-6f, 0f), adadelta, grad, square, delta, n);
                grad.Release();
            }

            return [sgd, velocity, adam, m, v, adadelta, square, delta];
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

    private static double Pool(Pair p, bool max)
    {
        var g = p.Large
            ? new Pool2dGeometry(32, 64, 56, 56, 3, 3, 2, 2, 1, 1)
            : new Pool2dGeometry(2, 3, 7, 7, 3, 3, 2, 2, 1, 1, CeilMode: true);
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
}
