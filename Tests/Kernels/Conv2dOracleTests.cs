using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>Conv2d forward, backward-data and backward-filter against the double reference on every
/// accelerator, over shapes chosen to break index arithmetic: odd batches, non-square images, strides 2 and 3,
/// asymmetric padding, dilation, groups and the 1x1 fast path.</summary>
public sealed class Conv2dOracleTests
{
    internal static readonly Dictionary<string, Conv2dGeometry> Cases = new()
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
    };

    public static TheoryData<string, string> Data => Accelerators.Cross(Cases.Keys);

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void GeometryAgreesWithCountedOutputSize(string name)
    {
        var g = Cases[name];
        Assert.Equal(ReferenceOps.ConvOutput(g), (g.P, g.Q));
    }

    [Theory]
    [MemberData(nameof(Data))]
    public void ForwardWithBiasMatchesReference(string accelerator, string name)
    {
        var g = Cases[name];
        var (x, w, b) = (Input(g, 1), Weight(g, 2), RandomTensors.Uniform(g.K, 3));
        using var acc = Accelerators.Create(accelerator);

        // NaN in y proves the forward overwrites its output instead of adding to it.
        var y = acc.Filled(g.OutputLength, float.NaN);
        acc.Conv2dForward(g, acc.Upload(x), acc.Upload(w), acc.Upload(b), y);

        var expected = ReferenceOps.Conv2dForward(g, x.ToDouble(), w.ToDouble(), b.ToDouble());
        TensorAssert.Close(expected, y.ToArray(), Atol(expected), 1e-4, $"conv {name} y");
    }

    [Theory]
    [MemberData(nameof(Data))]
    public void ForwardWithoutBiasMatchesReference(string accelerator, string name)
    {
        var g = Cases[name];
        var (x, w) = (Input(g, 4), Weight(g, 5));
        using var acc = Accelerators.Create(accelerator);
        var y = acc.Filled(g.OutputLength, float.NaN);
        acc.Conv2dForward(g, acc.Upload(x), acc.Upload(w), null, y);

        var expected = ReferenceOps.Conv2dForward(g, x.ToDouble(), w.ToDouble(), null);
        TensorAssert.Close(expected, y.ToArray(), Atol(expected), 1e-4, $"conv {name} y (no bias)");
    }

    [Theory]
    [MemberData(nameof(Data))]
    public void BackwardDataAddsReferenceGradient(string accelerator, string name)
    {
        var g = Cases[name];
        var (dy, w, before) = (Output(g, 6), Weight(g, 7), Input(g, 8));
        using var acc = Accelerators.Create(accelerator);
        var dx = acc.Upload(before);
        acc.Conv2dBackwardData(g, acc.Upload(dy), acc.Upload(w), dx);

        var expected = Add(before, ReferenceOps.Conv2dBackwardData(g, dy.ToDouble(), w.ToDouble()));
        TensorAssert.Close(expected, dx.ToArray(), Atol(expected), 1e-4, $"conv {name} dx (added to prefill)");
    }

    [Theory]
    [MemberData(nameof(Data))]
    public void BackwardFilterAddsReferenceGradients(string accelerator, string name)
    {
        var g = Cases[name];
        var (x, dy) = (Input(g, 9), Output(g, 10));
        var (dwBefore, dbBefore) = (Weight(g, 11), RandomTensors.Uniform(g.K, 12));
        using var acc = Accelerators.Create(accelerator);
        var (dw, db) = (acc.Upload(dwBefore), acc.Upload(dbBefore));
        acc.Conv2dBackwardFilter(g, acc.Upload(x), acc.Upload(dy), dw, db);

        var (refDw, refDb) = ReferenceOps.Conv2dBackwardFilter(g, x.ToDouble(), dy.ToDouble());
        var expectedDw = Add(dwBefore, refDw);
        var expectedDb = Add(dbBefore, refDb);
        TensorAssert.Close(expectedDw, dw.ToArray(), Atol(expectedDw), 1e-4, $"conv {name} dw (added to prefill)");
        TensorAssert.Close(expectedDb, db.ToArray(), Atol(expectedDb), 1e-4, $"conv {name} db (added to prefill)");
    }

    [Theory]
    [MemberData(nameof(Data))]
    public void BackwardFilterWithoutBiasLeavesOnlyWeightGradient(string accelerator, string name)
    {
        var g = Cases[name];
        var (x, dy, dwBefore) = (Input(g, 13), Output(g, 14), Weight(g, 15));
        using var acc = Accelerators.Create(accelerator);
        var dw = acc.Upload(dwBefore);
        acc.Conv2dBackwardFilter(g, acc.Upload(x), acc.Upload(dy), dw, null);

        var expected = Add(dwBefore, ReferenceOps.Conv2dBackwardFilter(g, x.ToDouble(), dy.ToDouble()).DW);
        TensorAssert.Close(expected, dw.ToArray(), Atol(expected), 1e-4, $"conv {name} dw without db");
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void RepeatedBackwardFilterAccumulates(string accelerator)
    {
        // The weight gradient is reduced from per-worker partials: a second call must add its own sum once more,
        // not reuse or double the first call's partials.
        var g = Cases["batch7-stride2-pad0101"];
        var (x, dy) = (Input(g, 16), Output(g, 17));
        using var acc = Accelerators.Create(accelerator);
        var (dw, db) = (acc.Filled(g.WeightLength, 0f), acc.Filled(g.K, 0f));
        var (xBuffer, dyBuffer) = (acc.Upload(x), acc.Upload(dy));
        acc.Conv2dBackwardFilter(g, xBuffer, dyBuffer, dw, db);
        acc.Conv2dBackwardFilter(g, xBuffer, dyBuffer, dw, db);

        var (refDw, refDb) = ReferenceOps.Conv2dBackwardFilter(g, x.ToDouble(), dy.ToDouble());
        var twiceDw = refDw.Select(v => 2 * v).ToArray();
        var twiceDb = refDb.Select(v => 2 * v).ToArray();
        TensorAssert.Close(twiceDw, dw.ToArray(), Atol(twiceDw), 1e-4, "dw after two calls");
        TensorAssert.Close(twiceDb, db.ToArray(), Atol(twiceDb), 1e-4, "db after two calls");
    }

    internal static float[] Input(in Conv2dGeometry g, int seed) => RandomTensors.Uniform(g.InputLength, seed);

    internal static float[] Weight(in Conv2dGeometry g, int seed) => RandomTensors.Uniform(g.WeightLength, seed);

    internal static float[] Output(in Conv2dGeometry g, int seed) => RandomTensors.Uniform(g.OutputLength, seed);

    internal static double[] Add(float[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();

    // Float sums of many terms drift by a few ulps of the largest partial sums, so the absolute slack follows the
    // size of the values compared.
    internal static double Atol(double[] expected) => 1e-5 * Math.Max(1.0, expected.Max(Math.Abs));
}
