using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Conformance;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>Conv2d: forward, backward-data and backward-filter against <see cref="ReferenceOps.Conv2dForward"/>
/// over shapes chosen to break index arithmetic (odd batches, non-square images, strides 2 and 3, asymmetric
/// padding, dilation, groups and the 1x1 fast path), its gradients, and the layer with every padding mode.</summary>
internal sealed class Conv2dDescriptor : OpDescriptor
{
    private static readonly Dictionary<string, Conv2dGeometry> Cases = new()
    {
        ["batch1-9x13-pad1"] = new(1, 3, 9, 13, 5, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        ["batch7-stride2-pad0101"] = new(7, 4, 9, 13, 6, 3, 3, StrideH: 2, StrideW: 2, PadLeft: 1, PadRight: 1),
        ["stride3x2-dilation2"] = new(2, 3, 11, 10, 4, 3, 2, StrideH: 3, StrideW: 2, PadTop: 2, PadBottom: 1,
            PadRight: 1, DilationH: 2, DilationW: 2),
        ["groups2"] = new(3, 4, 7, 9, 6, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2),
        ["depthwise"] = new(2, 4, 8, 5, 4, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 4),
        // Small maps and at least 32 output channels per group: the CPU multiplies several images at once (3 and
        // then 2 here; with groups, 2 groups of 32).
        ["several-images-per-gemm"] = new(5, 8, 6, 6, 40, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        ["several-images-per-gemm-groups2-stride2"] = new(7, 6, 9, 8, 64, 3, 3, StrideH: 2, StrideW: 2, PadTop: 1,
            PadLeft: 1, PadBottom: 1, PadRight: 1, Groups: 2),
        // Large maps with single images: each image's unfolded columns fill a megabyte or more of scratch.
        ["large-40x40"] = new(2, 16, 40, 40, 8, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        ["large-stride2-groups2"] = new(1, 64, 63, 61, 6, 5, 5, StrideH: 2, StrideW: 2, PadTop: 2, PadLeft: 2,
            PadBottom: 2, PadRight: 2, Groups: 2),
        ["pointwise-1x1"] = new(7, 5, 9, 13, 3, 1, 1),
        ["pointwise-1x1-groups2"] = new(3, 6, 5, 7, 4, 1, 1, Groups: 2),
        ["1x1-stride2"] = new(2, 3, 9, 13, 5, 1, 1, StrideH: 2, StrideW: 2),
        ["1x1-padded"] = new(2, 3, 5, 6, 2, 1, 1, PadTop: 1, PadRight: 2),
        ["even-kernel-same-padding"] = new(2, 3, 9, 13, 4, 4, 4, PadTop: 1, PadLeft: 1, PadBottom: 2, PadRight: 2),
        ["kernel-wider-than-image"] = new(2, 2, 3, 5, 3, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2),
        ["lenet-c1"] = new(7, 1, 28, 28, 6, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2),
        ["everything-at-once"] = new(5, 6, 12, 17, 9, 3, 2, StrideH: 2, StrideW: 3, PadTop: 1, PadLeft: 2,
            PadRight: 1, DilationH: 2, Groups: 3),
        // Few taps per output, at least 8 output columns: the CPU's direct convolution. Output widths that are not
        // a multiple of 16 (masked last vector), channel counts that leave partial register tiles (11 = 8 + 3,
        // 17 = 8 + 8 + 1), stride-2 and stride-3 column phases, dilation, padding wider than the kernel and a
        // single image whose channels are split across the cores.
        ["direct-cin1-stride2"] = new(3, 1, 27, 29, 11, 3, 3, StrideH: 2, StrideW: 2),
        ["direct-5x5-c6-k17"] = new(3, 6, 14, 21, 17, 5, 5),
        ["direct-2x2-same"] = new(5, 7, 13, 13, 9, 2, 2, PadBottom: 1, PadRight: 1),
        ["direct-stride3x2-dilation-padded"] = new(2, 3, 30, 40, 5, 3, 3, StrideH: 3, StrideW: 2, PadTop: 3,
            PadLeft: 1, PadRight: 2, DilationH: 2, DilationW: 3),
        ["direct-2x1-pad-wider-than-kernel"] = new(2, 4, 9, 17, 6, 2, 1, PadTop: 3, PadLeft: 3, PadBottom: 1,
            PadRight: 1),
        ["direct-batch1-k20"] = new(1, 3, 12, 37, 20, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        // Stride 1 down, 2 across, dilated columns: the flat sweep over column-phase planes (12 outputs a row,
        // 13-column planes, vectors spanning rows).
        ["direct-flat-stride1x2-dilated"] = new(3, 5, 11, 25, 7, 3, 3, StrideW: 2, PadTop: 1, PadLeft: 1,
            PadBottom: 1, PadRight: 1, DilationW: 2),
    };

    // Small enough for central differences of every input and weight.
    private static readonly Dictionary<string, Conv2dGeometry> GradientCases = new()
    {
        ["stride2-pad0101"] = new(2, 3, 5, 6, 4, 3, 3, StrideH: 2, StrideW: 2, PadLeft: 1, PadRight: 1),
        ["stride3-dilation2-groups2"] = new(2, 4, 7, 8, 4, 2, 3, StrideH: 3, PadTop: 1, PadBottom: 2, DilationH: 2,
            DilationW: 2, Groups: 2),
        ["pointwise-1x1"] = new(2, 3, 4, 5, 2, 1, 1),
        ["even-kernel-same-padding"] = new(1, 2, 5, 7, 3, 4, 4, PadTop: 1, PadLeft: 1, PadBottom: 2, PadRight: 2),
        // Eight output columns and more: the CPU's direct convolution.
        ["direct-2x3-pad"] = new(2, 2, 5, 9, 3, 2, 3, PadTop: 1, PadRight: 1),
    };

    private static readonly string[] ConvParameters = ["conv1.weight", "conv1.bias"];

    public override string Name => "Conv2d";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("forward-with-bias", Cases.Keys, ForwardWithBias),
        new("forward-without-bias", Cases.Keys, ForwardWithoutBias),
        new("backward-data-adds", Cases.Keys, BackwardData),
        new("backward-filter-adds", Cases.Keys, BackwardFilter),
        new("backward-filter-without-bias", Cases.Keys, BackwardFilterWithoutBias),

        // The weight gradient is reduced from per-worker partials: a second call must add its own sum once more,
        // not reuse or double the first call's partials.
        new("repeated-backward-filter-accumulates", ["batch7-stride2-pad0101", "direct-5x5-c6-k17"],
            RepeatedBackwardFilter),
    ];

    public override IEnumerable<KernelCheck> KernelGradients => [new("dx-dw-db", GradientCases.Keys, Gradients)];

    public override IEnumerable<OracleCheck> Oracle =>
    [
        new("geometry-agrees-with-counted-output-size", Cases.Keys,
            name => Xunit.Assert.Equal(ReferenceOps.ConvOutput(Cases[name]), (Cases[name].P, Cases[name].Q))),
        new("gradients-are-derivatives", GradientCases.Keys, OracleGradients),
    ];

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["conv-stride2-pad0101"] = new(new Shape(2, 7, 9), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 4, 3, 2, Padding2d.Explicit(0, 1, 0, 1))),
        ["conv-same-dilation2-groups2"] = new(new Shape(4, 6, 7), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 4, 3, 1, Padding2d.Same, dilation: 2, groups: 2)),
        ["conv-even-kernel-same"] = new(new Shape(2, 5, 7), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 3, 4, 1, Padding2d.Same)),
        ["conv-1x1-without-bias"] = new(new Shape(3, 5, 6), Smooth, ["conv1.weight"],
            (g, x) => g.Conv2d(x, 2, 1, bias: false)),
        // Convolutions whose padding holds something other than zeros: a padding step before the convolution.
        ["conv-reflect-same-stride2"] = new(new Shape(2, 7, 6), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 3, 3, 2, Padding2d.Same, paddingMode: PaddingMode.Reflect)),
        ["conv-reflect-explicit"] = new(new Shape(2, 7, 6), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 3, 3, 1, Padding2d.Explicit(1, 0, 2, 1), paddingMode: PaddingMode.Reflect)),
        ["conv-replicate-explicit-stride2"] = new(new Shape(2, 7, 6), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 3, 3, 2, Padding2d.Explicit(2, 1, 0, 2), paddingMode: PaddingMode.Replicate)),
        ["conv-circular-same-even-kernel"] = new(new Shape(2, 7, 6), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 3, 4, 1, Padding2d.Same, paddingMode: PaddingMode.Circular)),
        ["conv-circular-explicit-stride2"] = new(new Shape(2, 7, 6), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 3, 3, 2, Padding2d.Explicit(0, 2, 1, 1), paddingMode: PaddingMode.Circular)),
        ["conv-symmetric-explicit-stride2"] = new(new Shape(2, 7, 6), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 3, 3, 2, Padding2d.Explicit(1, 2, 2, 1), paddingMode: PaddingMode.Symmetric)),
        ["conv-symmetric-same"] = new(new Shape(2, 7, 6), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 3, 3, 1, Padding2d.Same, paddingMode: PaddingMode.Symmetric)),
        ["conv-constant-0.5-same-stride2"] = new(new Shape(2, 7, 6), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 3, 3, 2, Padding2d.Same, paddingMode: PaddingMode.Constant, paddingValue: 0.5f)),
        ["conv-constant-0.5-explicit"] = new(new Shape(2, 7, 6), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 3, 3, 1, Padding2d.Explicit(2, 0, 1, 1), paddingMode: PaddingMode.Constant,
                paddingValue: 0.5f)),
        ["conv-full"] = new(new Shape(2, 5, 4), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 3, 3, 1, Padding2d.Full)),
        ["conv-full-stride2-replicate"] = new(new Shape(2, 5, 4), Smooth, ConvParameters,
            (g, x) => g.Conv2d(x, 3, 3, 2, Padding2d.Full, paddingMode: PaddingMode.Replicate)),
    };

    public override IReadOnlyList<string> FixtureOps => ["conv2d"];

    // "padding" is a number or PyTorch's string ("same"); "padding_mode" PyTorch's names.
    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) => g.Conv2d(x, fixture.Int("out"),
        fixture.Int("kernel"), fixture.Int("stride", 1),
        fixture.Case["padding"] is { } p && p.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? Padding2d.Parse(p.GetValue<string>())
            : Padding2d.Symmetric(fixture.Int("padding")),
        fixture.Int("dilation", 1), fixture.Int("groups", 1), fixture.Get("bias", true), "layer",
        Pad2dDescriptor.Mode(fixture.Get("padding_mode", "zeros")));

    private static float[] Input(in Conv2dGeometry g, int seed) => RandomTensors.Uniform(g.InputLength, seed);

    private static float[] Weight(in Conv2dGeometry g, int seed) => RandomTensors.Uniform(g.WeightLength, seed);

    private static float[] Output(in Conv2dGeometry g, int seed) => RandomTensors.Uniform(g.OutputLength, seed);

    private static void ForwardWithBias(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (x, w, b) = (Input(g, 1), Weight(g, 2), RandomTensors.Uniform(g.K, 3));

        // NaN in y proves the forward overwrites its output instead of adding to it.
        var y = acc.Filled(g.OutputLength, float.NaN);
        acc.Conv2dForward(g, acc.Upload(x), acc.Upload(w), acc.Upload(b), y);

        var expected = ReferenceOps.Conv2dForward(g, x.ToDouble(), w.ToDouble(), b.ToDouble());
        TensorAssert.Close(expected, y.ToArray(), Expected.SumAtol(expected), 1e-4, $"conv {name} y");
    }

    private static void ForwardWithoutBias(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (x, w) = (Input(g, 4), Weight(g, 5));
        var y = acc.Filled(g.OutputLength, float.NaN);
        acc.Conv2dForward(g, acc.Upload(x), acc.Upload(w), null, y);

        var expected = ReferenceOps.Conv2dForward(g, x.ToDouble(), w.ToDouble(), null);
        TensorAssert.Close(expected, y.ToArray(), Expected.SumAtol(expected), 1e-4, $"conv {name} y (no bias)");
    }

    private static void BackwardData(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (dy, w, before) = (Output(g, 6), Weight(g, 7), Input(g, 8));
        var dx = acc.Upload(before);
        acc.Conv2dBackwardData(g, acc.Upload(dy), acc.Upload(w), dx);

        var expected = Expected.Add(before, ReferenceOps.Conv2dBackwardData(g, dy.ToDouble(), w.ToDouble()));
        TensorAssert.Close(expected, dx.ToArray(), Expected.SumAtol(expected), 1e-4,
            $"conv {name} dx (added to prefill)");
    }

    private static void BackwardFilter(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (x, dy) = (Input(g, 9), Output(g, 10));
        var (dwBefore, dbBefore) = (Weight(g, 11), RandomTensors.Uniform(g.K, 12));
        var (dw, db) = (acc.Upload(dwBefore), acc.Upload(dbBefore));
        acc.Conv2dBackwardFilter(g, acc.Upload(x), acc.Upload(dy), dw, db);

        var (refDw, refDb) = ReferenceOps.Conv2dBackwardFilter(g, x.ToDouble(), dy.ToDouble());
        var expectedDw = Expected.Add(dwBefore, refDw);
        var expectedDb = Expected.Add(dbBefore, refDb);
        TensorAssert.Close(expectedDw, dw.ToArray(), Expected.SumAtol(expectedDw), 1e-4,
            $"conv {name} dw (added to prefill)");
        TensorAssert.Close(expectedDb, db.ToArray(), Expected.SumAtol(expectedDb), 1e-4,
            $"conv {name} db (added to prefill)");
    }

    private static void BackwardFilterWithoutBias(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (x, dy, dwBefore) = (Input(g, 13), Output(g, 14), Weight(g, 15));
        var dw = acc.Upload(dwBefore);
        acc.Conv2dBackwardFilter(g, acc.Upload(x), acc.Upload(dy), dw, null);

        var expected = Expected.Add(dwBefore, ReferenceOps.Conv2dBackwardFilter(g, x.ToDouble(), dy.ToDouble()).DW);
        TensorAssert.Close(expected, dw.ToArray(), Expected.SumAtol(expected), 1e-4, $"conv {name} dw without db");
    }

    private static void RepeatedBackwardFilter(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (x, dy) = (Input(g, 16), Output(g, 17));
        var (dw, db) = (acc.Filled(g.WeightLength, 0f), acc.Filled(g.K, 0f));
        var (xBuffer, dyBuffer) = (acc.Upload(x), acc.Upload(dy));
        acc.Conv2dBackwardFilter(g, xBuffer, dyBuffer, dw, db);
        acc.Conv2dBackwardFilter(g, xBuffer, dyBuffer, dw, db);

        var (refDw, refDb) = ReferenceOps.Conv2dBackwardFilter(g, x.ToDouble(), dy.ToDouble());
        var twiceDw = refDw.Select(v => 2 * v).ToArray();
        var twiceDb = refDb.Select(v => 2 * v).ToArray();
        TensorAssert.Close(twiceDw, dw.ToArray(), Expected.SumAtol(twiceDw), 1e-4, "dw after two calls");
        TensorAssert.Close(twiceDb, db.ToArray(), Expected.SumAtol(twiceDb), 1e-4, "db after two calls");
    }

    private static void Gradients(Accelerator acc, string name)
    {
        var g = GradientCases[name];
        var (x, w, b) = (RandomTensors.Uniform(g.InputLength, 1), RandomTensors.Uniform(g.WeightLength, 2),
            RandomTensors.Uniform(g.K, 3));
        var r = RandomTensors.Uniform(g.OutputLength, 4);
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

        const float Step = KernelGradient.LinearStep;
        KernelGradient.Check(FiniteDifferences.Gradient(acc, xb, x, Loss, Step), dx, $"conv {name} dx");
        KernelGradient.Check(FiniteDifferences.Gradient(acc, wb, w, Loss, Step), dw, $"conv {name} dw");
        KernelGradient.Check(FiniteDifferences.Gradient(acc, bb, b, Loss, Step), db, $"conv {name} db");
    }

    private static void OracleGradients(string name)
    {
        var g = GradientCases[name];
        var x = RandomTensors.Uniform(g.InputLength, 1).ToDouble();
        var w = RandomTensors.Uniform(g.WeightLength, 2).ToDouble();
        var b = RandomTensors.Uniform(g.K, 3).ToDouble();
        var r = RandomTensors.Uniform(g.OutputLength, 4).ToDouble();
        double Loss() => FiniteDifferences.Dot(ReferenceOps.Conv2dForward(g, x, w, b), r);

        var (dw, db) = ReferenceOps.Conv2dBackwardFilter(g, x, r);
        const double Step = OracleGradient.Step;
        OracleGradient.Check(ReferenceOps.Conv2dBackwardData(g, r, w), FiniteDifferences.Gradient(x, Loss, Step),
            $"{name} dx");
        OracleGradient.Check(dw, FiniteDifferences.Gradient(w, Loss, Step), $"{name} dw");
        OracleGradient.Check(db, FiniteDifferences.Gradient(b, Loss, Step), $"{name} db");
    }
}
