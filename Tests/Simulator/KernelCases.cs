using GpuCnn.Kernels;
using GpuCnn.Kernels.OpenCL;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Tests.Simulator;

/// <summary>One small launch sequence: it runs on an accelerator and returns every output it wrote, so the same
/// case can run on the simulator and on the CPU backend and the two results be compared.</summary>
/// <param name="Name">Unique, printed by the child process before the case runs.</param>
/// <param name="Convolution">The convolution path the OpenCL accelerator of this case takes.</param>
/// <param name="Run">Creates its buffers on the accelerator, launches, reads back.</param>
/// <param name="Chunked">The im2col path unfolds one image per chunk (a column budget below any image's).</param>
internal sealed record KernelCase(
    string Name, OpenCLConvolution Convolution, bool Chunked, Func<Accelerator, float[]> Run);

/// <summary>
/// The simulator tier's cases: together they launch every kernel of the OpenCL program at least once, each path
/// of the host code that picks kernels (both convolution algorithms, split and unsplit weight gradients, the row
/// and plane bias sums, all four GEMM transposes), on shapes a few work-groups large, because the simulator
/// interprets every instruction of every work-item and checks each memory access. Shapes leave partial tiles and
/// partial work-groups, where index arithmetic goes out of bounds if it is wrong.
/// </summary>
internal static class KernelCases
{
    private static List<KernelCase> Build()
    {
        var cases = new List<KernelCase>
        {
            Case("buffers", Buffers),

            // N*P*Q = 2*9*9 = 162 rows of reduction: the implicit weight gradient splits it in two on a device
            // with one compute unit (Oclgrind's), so conv2d_sum_partials runs too. Groups 2, stride 1, padding 1.
            Case("conv-implicit", a => Convolution(a, ConvGroups), OpenCLConvolution.ImplicitGemm),
            Case("conv-implicit-strided-dilated", a => Convolution(a, ConvStrided), OpenCLConvolution.ImplicitGemm),
            Case("conv-im2col", a => Convolution(a, ConvGroups), OpenCLConvolution.Im2col),
            Case("conv-im2col-strided-dilated", a => Convolution(a, ConvStrided), OpenCLConvolution.Im2col),
        };

        // Shapes that break index arithmetic (strides, asymmetric padding, dilation, groups, depthwise, 1x1, kernels
        // wider than the image) on both algorithms; a few on im2col one image per chunk, where the kernels address
        // scratch and images at offsets.
        foreach (var (name, g) in ConvShapes)
        {
            cases.Add(Case($"conv-implicit-{name}", a => Convolution(a, g), OpenCLConvolution.ImplicitGemm));
            cases.Add(Case($"conv-im2col-{name}", a => Convolution(a, g), OpenCLConvolution.Im2col));
        }

        foreach (var name in new[] { "groups2", "stride3x2-dilation2", "kernel-wider-than-image" })
        {
            var g = ConvShapes[name];
            cases.Add(Case($"conv-im2col-chunked-{name}", a => Convolution(a, g), OpenCLConvolution.Im2col,
                chunked: true));
        }

        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            cases.Add(Case($"gemm-{(ta ? 't' : 'n')}{(tb ? 't' : 'n')}", a => Gemm(a, ta, tb)));
        }

        cases.Add(Case("bias", Bias));
        foreach (var kind in Enum.GetValues<ActivationKind>())
        {
            cases.Add(Case($"activation-{kind.ToString().ToLowerInvariant()}", a => Activation(a, kind)));
        }

        cases.Add(Case("softmax", Softmax));
        cases.Add(Case("log-softmax", LogSoftmax));
        cases.Add(Case("upsample2d", a => Upsample(a, new Upsample2dGeometry(2, 3, 5, 4, 3, 2))));
        cases.Add(Case("softmax-cross-entropy", Loss));
        cases.Add(Case("dropout", Dropout));
        cases.Add(Case("leaky-relu", LeakyRelu));
        foreach (var mode in Enum.GetValues<PaddingMode>())
        {
            cases.Add(Case($"pad2d-{mode.ToString().ToLowerInvariant()}", a => Pad(a, mode)));
        }

        cases.Add(Case("pool-floor", a => Pool(a, new Pool2dGeometry(2, 3, 7, 6, 2, 2, 2, 2))));
        cases.Add(Case("pool-ceil-padded", a => Pool(a, new Pool2dGeometry(2, 3, 7, 6, 3, 3, 2, 2, 1, 1, true))));
        cases.Add(Case("pool-ceil-padded-exclude-pad", a => Pool(a,
            new Pool2dGeometry(2, 3, 7, 6, 3, 3, 2, 2, 1, 1, CeilMode: true, CountIncludePad: false))));
        cases.Add(Case("batch-norm", a => BatchNorm(a, affine: true)));
        cases.Add(Case("batch-norm-no-affine", a => BatchNorm(a, affine: false)));
        cases.Add(Case("lrn", Lrn));
        cases.Add(Case("channel-copy", ChannelCopy));
        cases.Add(Case("sgd", Sgd));
        cases.Add(Case("adam", Adam));
        cases.Add(Case("adadelta", Adadelta));
        cases.Add(Case("adamw", AdamW));
        cases.Add(Case("rmsprop", RmsProp));
        return cases;
    }

    // The small shapes of the convolution oracle (Tests/Ops/Conv2dDescriptor.cs): the simulator interprets every
    // instruction with its checks on, so each takes a second or a few; the oracle's large shapes take minutes.
    private static readonly Dictionary<string, Conv2dGeometry> ConvShapes = new()
    {
        ["batch1-9x13-pad1"] = new(1, 3, 9, 13, 5, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        ["batch7-stride2-pad0101"] = new(7, 4, 9, 13, 6, 3, 3, StrideH: 2, StrideW: 2, PadLeft: 1, PadRight: 1),
        ["stride3x2-dilation2"] = new(2, 3, 11, 10, 4, 3, 2, StrideH: 3, StrideW: 2, PadTop: 2, PadBottom: 1,
            PadRight: 1, DilationH: 2, DilationW: 2),
        ["groups2"] = new(3, 4, 7, 9, 6, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2),
        ["depthwise"] = new(2, 4, 8, 5, 4, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 4),
        ["pointwise-1x1"] = new(7, 5, 9, 13, 3, 1, 1),
        ["pointwise-1x1-groups2"] = new(3, 6, 5, 7, 4, 1, 1, Groups: 2),
        ["1x1-stride2"] = new(2, 3, 9, 13, 5, 1, 1, StrideH: 2, StrideW: 2),
        ["1x1-padded"] = new(2, 3, 5, 6, 2, 1, 1, PadTop: 1, PadRight: 2),
        ["even-kernel-same-padding"] = new(2, 3, 9, 13, 4, 4, 4, PadTop: 1, PadLeft: 1, PadBottom: 2, PadRight: 2),
        ["kernel-wider-than-image"] = new(2, 2, 3, 5, 3, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2),
        ["everything-at-once"] = new(5, 6, 12, 17, 9, 3, 2, StrideH: 2, StrideW: 3, PadTop: 1, PadLeft: 2,
            PadRight: 1, DilationH: 2, Groups: 3),
    };

    private static readonly Conv2dGeometry ConvGroups =
        new(2, 4, 9, 9, 6, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2);

    private static readonly Conv2dGeometry ConvStrided = new(2, 3, 10, 9, 5, 3, 2, StrideH: 2, StrideW: 3,
        PadTop: 1, PadLeft: 2, PadRight: 1, DilationH: 2);

    // Declared after the shapes it reads: static initialisers run in the order they are written.
    /// <summary>Every case, in a fixed order.</summary>
    public static IReadOnlyList<KernelCase> All { get; } = Build();

    private static KernelCase Case(string name, Func<Accelerator, float[]> run,
        OpenCLConvolution convolution = OpenCLConvolution.Auto, bool chunked = false) =>
        new(name, convolution, chunked, run);

    // Values in [-1, 1) from a fixed sequence, different per seed.
    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    private static DeviceBuffer Upload(Accelerator a, float[] values)
    {
        var buffer = a.Allocate(values.Length);
        a.CopyFromHost(values, buffer);
        return buffer;
    }

    private static DeviceBuffer Random(Accelerator a, int count, int seed) => Upload(a, Values(count, seed));

    private static float[] Read(Accelerator a, params DeviceBuffer[] buffers)
    {
        var result = new List<float>();
        foreach (var buffer in buffers)
        {
            var host = new float[buffer.Length];
            a.CopyToHost(buffer, host);
            result.AddRange(host);
        }

        return [.. result];
    }

    private static float[] Buffers(Accelerator a)
    {
        // 300 elements: two reduction work-groups of up to 256, the second partly idle.
        const int count = 300;
        var x = Random(a, count, 1);
        var y = a.Allocate(count);
        a.Fill(y, 0.5f);
        a.AddInto(x, y, count);
        a.Scale(y, -2f, count);
        var z = a.Allocate(count);
        a.Copy(y, z, count - 7);
        a.Fill(z, 3f);
        a.Copy(y, z, count - 7);
        var sum = (float)a.SumOfSquares(y, count);
        return [.. Read(a, y, z), sum];
    }

    private static float[] Convolution(Accelerator a, Conv2dGeometry g)
    {
        var x = Random(a, g.InputLength, 2);
        var w = Random(a, g.WeightLength, 3);
        var b = Random(a, g.K, 4);
        var y = a.Allocate(g.OutputLength);
        a.Conv2dForward(g, x, w, b, y);
        var dy = Random(a, g.OutputLength, 5);
        var dx = Random(a, g.InputLength, 6);
        a.Conv2dBackwardData(g, dy, w, dx);
        var dw = Random(a, g.WeightLength, 7);
        var db = Random(a, g.K, 8);
        a.Conv2dBackwardFilter(g, x, dy, dw, db);
        return Read(a, y, dx, dw, db);
    }

    private static float[] Gemm(Accelerator a, bool transA, bool transB)
    {
        // 70 x 66 outputs over k = 20: four 64x64 tiles, one full and three partial, and a partial depth step.
        const int m = 70, n = 66, k = 20;
        var left = Random(a, m * k, 9);
        var right = Random(a, k * n, 10);
        var c = Random(a, m * n, 11);
        a.Gemm(transA, transB, m, n, k, 0.75f, left, right, 0.5f, c);
        var overwritten = Random(a, m * n, 12);
        a.Gemm(transA, transB, m, n, k, 1f, left, right, 0f, overwritten);
        return Read(a, c, overwritten);
    }

    private static float[] Bias(Accelerator a)
    {
        var y = Random(a, 3 * 5 * 7, 13);
        var bias = Random(a, 5, 14);
        a.BiasAddForward(y, bias, 3, 5, 7);
        var planes = Random(a, 5, 15);
        a.BiasAddBackward(y, planes, 3, 5, 7);
        var rows = Random(a, 5, 16);
        a.BiasAddBackward(y, rows, 21, 5, 1);
        return Read(a, y, planes, rows);
    }

    private static float[] Activation(Accelerator a, ActivationKind kind)
    {
        const int count = 300;
        var x = Random(a, count, 17);
        var y = a.Allocate(count);
        a.ActivationForward(kind, x, y, count);
        var dy = Random(a, count, 18);
        var dx = Random(a, count, 19);
        a.ActivationBackward(kind, x, y, dy, dx, count);
        return Read(a, y, dx);
    }

    private static float[] Softmax(Accelerator a)
    {
        const int rows = 3, columns = 300;
        var x = Random(a, rows * columns, 20);
        var y = a.Allocate(rows * columns);
        a.SoftmaxForward(x, y, rows, columns);
        var dy = Random(a, rows * columns, 21);
        var dx = Random(a, rows * columns, 22);
        a.SoftmaxBackward(y, dy, dx, rows, columns);
        return Read(a, y, dx);
    }

    private static float[] LogSoftmax(Accelerator a)
    {
        // Rows longer than one reduction work-group, as for softmax.
        const int rows = 3, columns = 300;
        var x = Random(a, rows * columns, 50);
        var y = a.Allocate(rows * columns);
        a.LogSoftmaxForward(x, y, rows, columns);
        var dy = Random(a, rows * columns, 51);
        var dx = Random(a, rows * columns, 52);
        a.LogSoftmaxBackward(y, dy, dx, rows, columns);
        return Read(a, y, dx);
    }

    private static float[] Upsample(Accelerator a, Upsample2dGeometry g)
    {
        var x = Random(a, g.InputLength, 53);
        var y = a.Allocate(g.OutputLength);
        a.Upsample2dForward(g, x, y);
        var dy = Random(a, g.OutputLength, 54);
        var dx = Random(a, g.InputLength, 55);
        a.Upsample2dBackward(g, dy, dx);
        return Read(a, y, dx);
    }

    private static float[] Loss(Accelerator a)
    {
        const int rows = 5, classes = 7;
        var logits = Random(a, rows * classes, 23);
        var labels = Upload(a, [0, 6, 3, 3, 1]);
        var dlogits = a.Allocate(rows * classes);
        var stats = a.Allocate(2);
        a.SoftmaxCrossEntropy(logits, labels, rows, classes, 1f / rows, dlogits, stats);
        return Read(a, dlogits, stats);
    }

    private static float[] Dropout(Accelerator a)
    {
        const int count = 300;
        var x = Random(a, count, 24);
        var mask = a.Allocate(count);
        var y = a.Allocate(count);
        a.DropoutForward(x, mask, y, count, 0.3f, 0x1234_5678_9abcUL);
        var dy = Random(a, count, 25);
        var dx = Random(a, count, 26);
        a.DropoutBackward(mask, dy, dx, count);
        return Read(a, mask, y, dx);
    }

    private static float[] LeakyRelu(Accelerator a)
    {
        const int count = 300;
        var x = Random(a, count, 27);
        var y = a.Allocate(count);
        a.LeakyReluForward(x, y, count, 0.2f);
        var dy = Random(a, count, 28);
        var dx = Random(a, count, 29);
        a.LeakyReluBackward(x, dy, dx, count, 0.2f);
        return Read(a, y, dx);
    }

    private static float[] Pad(Accelerator a, PaddingMode mode)
    {
        var g = new Pad2dGeometry(2, 2, 4, 5, 2, 3, 1, 2, mode, 0.25f);
        var x = Random(a, g.InputLength, 27);
        var y = a.Allocate(g.OutputLength);
        a.Pad2dForward(g, x, y);
        var dy = Random(a, g.OutputLength, 28);
        var dx = Random(a, g.InputLength, 29);
        a.Pad2dBackward(g, dy, dx);
        return Read(a, y, dx);
    }

    private static float[] Pool(Accelerator a, Pool2dGeometry g)
    {
        var x = Random(a, g.InputLength, 30);
        var max = a.Allocate(g.OutputLength);
        a.MaxPool2dForward(g, x, max);
        var avg = a.Allocate(g.OutputLength);
        a.AvgPool2dForward(g, x, avg);
        var dy = Random(a, g.OutputLength, 31);
        var dxMax = Random(a, g.InputLength, 32);
        a.MaxPool2dBackward(g, x, dy, dxMax);
        var dxAvg = Random(a, g.InputLength, 33);
        a.AvgPool2dBackward(g, dy, dxAvg);
        return Read(a, max, avg, dxMax, dxAvg);
    }

    private static float[] BatchNorm(Accelerator a, bool affine)
    {
        // 3 x 4 x 100: 300 values per channel, more than one pass of a 256-wide reduction group.
        var g = new BatchNormGeometry(3, 4, 100);
        var x = Random(a, g.Length, 34);
        var gamma = affine ? Random(a, g.C, 35) : null;
        var beta = affine ? Random(a, g.C, 36) : null;
        var y = a.Allocate(g.Length);
        var (mean, invStd) = (a.Allocate(g.C), a.Allocate(g.C));
        var runningMean = Random(a, g.C, 37);
        var runningVar = Upload(a, [1f, 0.5f, 2f, 0.25f]);
        a.BatchNormForwardTraining(g, x, gamma, beta, y, mean, invStd, runningMean, runningVar, 0.1f, 1e-5f);
        var inference = a.Allocate(g.Length);
        a.BatchNormForwardInference(g, x, gamma, beta, runningMean, runningVar, 1e-5f, inference);
        var dy = Random(a, g.Length, 38);
        var dx = Random(a, g.Length, 39);
        var dgamma = affine ? Random(a, g.C, 40) : null;
        var dbeta = affine ? Random(a, g.C, 41) : null;
        a.BatchNormBackward(g, x, dy, gamma, mean, invStd, dx, dgamma, dbeta);
        var outputs = new List<DeviceBuffer> { y, mean, invStd, runningMean, runningVar, inference, dx };
        if (affine)
        {
            outputs.AddRange([dgamma!, dbeta!]);
        }

        return Read(a, [.. outputs]);
    }

    private static float[] Lrn(Accelerator a)
    {
        var g = new LrnGeometry(2, 6, 10, 5, 1e-2f, 0.75f, 2f);
        var x = Random(a, g.Length, 42);
        var (y, scale) = (a.Allocate(g.Length), a.Allocate(g.Length));
        a.LrnForward(g, x, y, scale);
        var dy = Random(a, g.Length, 43);
        var dx = Random(a, g.Length, 44);
        a.LrnBackward(g, x, y, scale, dy, dx);
        return Read(a, y, scale, dx);
    }

    private static float[] ChannelCopy(Accelerator a)
    {
        var g = new ChannelCopyGeometry(2, 9, 3, 5, 1, 7, 4);
        var src = Random(a, g.SrcLength, 45);
        var copied = Random(a, g.DstLength, 46);
        a.ChannelCopy(g, src, copied, accumulate: false);
        var added = Random(a, g.DstLength, 47);
        a.ChannelCopy(g, src, added, accumulate: true);
        return Read(a, copied, added);
    }

    private static float[] Sgd(Accelerator a)
    {
        const int count = 300;
        var grad = Random(a, count, 48);
        var plain = Random(a, count, 49);
        a.SgdUpdate(new SgdSettings(0.1f, 0f, 0f, 0f, false, false), plain, grad, null, count);
        var param = Random(a, count, 50);
        var velocity = Random(a, count, 51);
        a.SgdUpdate(new SgdSettings(0.1f, 0.9f, 0f, 1e-2f, true, true), param, grad, velocity, count);
        a.SgdUpdate(new SgdSettings(0.1f, 0.9f, 0.1f, 0f, false, false), param, grad, velocity, count);
        return Read(a, plain, param, velocity);
    }

    private static float[] Adam(Accelerator a)
    {
        const int count = 300;
        var (param, grad) = (Random(a, count, 52), Random(a, count, 53));
        var (m, v) = (a.AllocateZeroed(count), a.AllocateZeroed(count));
        a.AdamUpdate(new AdamSettings(1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f, 1), param, grad, m, v, count);
        a.AdamUpdate(new AdamSettings(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 2), param, grad, m, v, count);
        return Read(a, param, m, v);
    }

    private static float[] Adadelta(Accelerator a)
    {
        const int count = 300;
        var (param, grad) = (Random(a, count, 54), Random(a, count, 55));
        var (square, delta) = (a.AllocateZeroed(count), a.AllocateZeroed(count));
        a.AdadeltaUpdate(new AdadeltaSettings(1f, 0.9f, 1e-6f, 1e-2f), param, grad, square, delta, count);
        return Read(a, param, square, delta);
    }

    private static float[] AdamW(Accelerator a)
    {
        const int count = 300;
        var (param, grad) = (Random(a, count, 56), Random(a, count, 57));
        var (m, v) = (a.AllocateZeroed(count), a.AllocateZeroed(count));
        a.AdamWUpdate(new AdamWSettings(1e-2f, 0.9f, 0.999f, 1e-8f, 1e-1f, 1), param, grad, m, v, count);
        a.AdamWUpdate(new AdamWSettings(1e-2f, 0.9f, 0.999f, 1e-8f, 1e-1f, 2), param, grad, m, v, count);
        return Read(a, param, m, v);
    }

    // Both branches of the kernel: plain (no average of gradients, no momentum buffer: null arguments), then centered
    // with momentum.
    private static float[] RmsProp(Accelerator a)
    {
        const int count = 300;
        var grad = Random(a, count, 58);
        var plain = Random(a, count, 59);
        var plainSquare = a.AllocateZeroed(count);
        a.RmsPropUpdate(new RmsPropSettings(1e-2f, 0.99f, 1e-8f, 0f, 0f, false), plain, grad, plainSquare, null, null,
            count);
        var param = Random(a, count, 60);
        var (square, mean, buffer) = (a.AllocateZeroed(count), a.AllocateZeroed(count), a.AllocateZeroed(count));
        for (var step = 0; step < 2; step++)
        {
            a.RmsPropUpdate(new RmsPropSettings(1e-2f, 0.9f, 1e-6f, 1e-2f, 0.9f, true), param, grad, square, mean,
                buffer, count);
        }

        return Read(a, plain, plainSquare, param, square, mean, buffer);
    }
}
