using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Conformance;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>Pad2d in every mode against <see cref="ReferenceOps.Pad2dForward"/>; the seed's row examples and the
/// limits the geometry enforces have their own tests in Pad2dOracleTests.</summary>
internal sealed class Pad2dDescriptor : OpDescriptor
{
    private static readonly Dictionary<string, Pad2dGeometry> Cases = new()
    {
        ["zeros-asymmetric"] = new(2, 3, 5, 6, 1, 2, 0, 3, PaddingMode.Zeros),
        // A value that zeros mode must ignore.
        ["zeros-ignores-value"] = new(1, 2, 3, 4, 1, 1, 1, 1, PaddingMode.Zeros, 7f),
        ["constant-asymmetric"] = new(2, 2, 4, 5, 2, 0, 1, 1, PaddingMode.Constant, 0.5f),
        ["constant-Hx1"] = new(1, 3, 6, 1, 0, 2, 1, 1, PaddingMode.Constant, -3f),
        // Replicate has no limit: borders wider than the input.
        ["replicate-wider-than-input"] = new(2, 2, 3, 2, 4, 3, 2, 5, PaddingMode.Replicate),
        ["replicate-1xW"] = new(2, 2, 1, 7, 2, 1, 3, 2, PaddingMode.Replicate),
        ["reflect-asymmetric"] = new(2, 3, 5, 6, 1, 2, 0, 1, PaddingMode.Reflect),
        ["reflect-at-limit"] = new(2, 2, 4, 5, 3, 4, 3, 4, PaddingMode.Reflect),
        // A 1-pixel axis can only be reflected by 0.
        ["reflect-Hx1"] = new(1, 2, 5, 1, 2, 0, 4, 0, PaddingMode.Reflect),
        ["reflect-amounts-0"] = new(2, 2, 3, 4, 0, 0, 0, 0, PaddingMode.Reflect),
        ["symmetric-asymmetric"] = new(2, 3, 5, 4, 0, 1, 2, 0, PaddingMode.Symmetric),
        ["symmetric-at-limit"] = new(2, 2, 4, 3, 4, 3, 4, 3, PaddingMode.Symmetric),
        ["symmetric-1xW"] = new(2, 1, 1, 5, 1, 2, 1, 0, PaddingMode.Symmetric),
        ["circular-asymmetric"] = new(2, 3, 5, 6, 2, 0, 1, 3, PaddingMode.Circular),
        ["circular-at-limit"] = new(2, 2, 3, 4, 3, 4, 3, 4, PaddingMode.Circular),
        ["circular-Hx1"] = new(1, 2, 6, 1, 3, 1, 2, 1, PaddingMode.Circular),
        ["circular-amounts-0-on-one-axis"] = new(2, 2, 4, 5, 0, 2, 0, 1, PaddingMode.Circular),
        // Enough planes for the CPU to split the work over several items.
        ["replicate-many-planes"] = new(8, 16, 20, 24, 2, 3, 1, 2, PaddingMode.Replicate),
        ["reflect-many-planes"] = new(8, 16, 20, 24, 1, 1, 2, 2, PaddingMode.Reflect),
    };

    public override string Name => "Pad2d";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("forward", Cases.Keys, Forward),
        new("backward-adds", Cases.Keys, Backward),
        new("backward-sums-in-the-same-order-as-the-cpu", Cases.Keys, BackwardInCpuOrder),
    ];

    // Amounts (1, 2, 3, 4) reach reflect's limit at the bottom (H - 1 = 3).
    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["pad-zeros"] = new(new Shape(2, 4, 5), Smooth, [], (g, x) => g.Pad2d(x, 1, 2, 3, 4)),
        ["pad-constant"] = new(new Shape(2, 4, 5), Smooth, [],
            (g, x) => g.Pad2d(x, 1, 2, 3, 4, PaddingMode.Constant, 0.5f)),
        ["pad-replicate"] = new(new Shape(2, 4, 5), Smooth, [],
            (g, x) => g.Pad2d(x, 1, 2, 3, 4, PaddingMode.Replicate)),
        ["pad-reflect"] = new(new Shape(2, 4, 5), Smooth, [], (g, x) => g.Pad2d(x, 1, 2, 3, 4, PaddingMode.Reflect)),
        ["pad-symmetric"] = new(new Shape(2, 4, 5), Smooth, [],
            (g, x) => g.Pad2d(x, 1, 2, 3, 4, PaddingMode.Symmetric)),
        ["pad-circular"] = new(new Shape(2, 4, 5), Smooth, [],
            (g, x) => g.Pad2d(x, 1, 2, 3, 4, PaddingMode.Circular)),
    };

    public override IReadOnlyList<string> FixtureOps => ["pad"];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) => g.Pad2d(x, fixture.Int("top"),
        fixture.Int("left"), fixture.Int("bottom"), fixture.Int("right"), Mode(fixture.Get("mode", "zeros")),
        fixture.Float("value", 0f), "layer");

    /// <summary>A padding mode by PyTorch's name, as the fixtures write it.</summary>
    internal static PaddingMode Mode(string name) => name switch
    {
        "zeros" => PaddingMode.Zeros,
        "constant" => PaddingMode.Constant,
        "reflect" => PaddingMode.Reflect,
        "replicate" => PaddingMode.Replicate,
        "circular" => PaddingMode.Circular,
        _ => throw new ArgumentException($"Unknown padding mode '{name}'."),
    };

    private static void Forward(Accelerator acc, string name)
    {
        var g = Cases[name];
        var x = RandomTensors.Uniform(g.InputLength, 1);
        var y = acc.Filled(g.OutputLength, float.NaN);
        acc.Pad2dForward(g, acc.Upload(x), y);

        // Every output is an input or the fill, so it must be exact.
        TensorAssert.Close(ReferenceOps.Pad2dForward(g, x.ToDouble()), y.ToArray(), 0, 0, $"pad {name} y");
    }

    private static void Backward(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (dy, before) = (RandomTensors.Uniform(g.OutputLength, 2), RandomTensors.Uniform(g.InputLength, 3));
        var dx = acc.Upload(before);
        acc.Pad2dBackward(g, acc.Upload(dy), dx);

        var expected = Expected.Add(before, ReferenceOps.Pad2dBackward(g, dy.ToDouble()));
        TensorAssert.Close(expected, dx.ToArray(), 1e-6, 1e-6, $"pad {name} dx (added to prefill)");
    }

    private static void BackwardInCpuOrder(Accelerator acc, string name)
    {
        // The OpenCL gather visits the readers of a pixel in the raster order the CPU scatters them in, so the
        // float sums must agree exactly, not just within a tolerance.
        var g = Cases[name];
        var (dy, before) = (RandomTensors.Uniform(g.OutputLength, 4), RandomTensors.Uniform(g.InputLength, 5));
        using var cpu = Accelerators.Create("cpu-1thread");
        var dx = acc.Upload(before);
        var cpuDx = cpu.Upload(before);
        acc.Pad2dBackward(g, acc.Upload(dy), dx);
        cpu.Pad2dBackward(g, cpu.Upload(dy), cpuDx);

        TensorAssert.Close(cpuDx.ToArray().ToDouble(), dx.ToArray(), 0, 0, $"pad {name} dx against the CPU");
    }
}
