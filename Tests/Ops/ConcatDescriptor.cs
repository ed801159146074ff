using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>Concat and its kernel, the channel-block copy (forward) and accumulate (backward), against
/// <see cref="ReferenceOps.ChannelCopy"/>: the block lands in its slice, the other channels of dst are left alone,
/// and accumulate adds. A worked example and the rejected blocks have their own tests in ChannelCopyOracleTests.
/// </summary>
internal sealed class ConcatDescriptor : OpDescriptor
{
    private static readonly Dictionary<string, ChannelCopyGeometry> Cases = new()
    {
        // Concat's forward: a whole input into the middle of the output.
        ["into-middle-slice"] = new(3, 20, 4, 4, 0, 10, 3),
        // Concat's backward: a slice of the output gradient into a whole input gradient.
        ["out-of-last-slice"] = new(3, 20, 4, 10, 6, 4, 0),
        ["slice-to-slice"] = new(2, 7, 3, 7, 2, 9, 5),
        ["whole-tensor"] = new(2, 6, 5, 5, 0, 5, 0),
        // After global pooling: one value per channel.
        ["inner-1"] = new(5, 1, 3, 8, 4, 6, 1),
        ["one-channel-first"] = new(4, 12, 1, 3, 0, 5, 0),
        // Long runs: the CPU cuts one sample's block into pieces.
        ["long-runs"] = new(2, 64 * 64, 9, 12, 3, 16, 7),
        // Short runs: the CPU gives one worker several samples.
        ["many-short-samples"] = new(40, 9, 2, 3, 1, 6, 4),
    };

    public override string Name => "Concat";

    public override IEnumerable<KernelCheck> Parity =>
    [
        new("copy-writes-the-block-and-nothing-else", Cases.Keys, Copy),
        new("accumulate-adds-the-block-and-nothing-else", Cases.Keys, Accumulate),
    ];

    // The input reaches the output along two or three paths whose gradients must sum.
    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["concat-three-of-2-3-1-channels"] = new(new Shape(3, 4, 5), Smooth,
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"],
            (g, x) => g.Concat([g.Conv2d(x, 2, 3, 1, Padding2d.Same), x, g.Conv2d(x, 1, 1)])),
        ["concat-a-a"] = new(new Shape(3, 4, 5), Smooth, ["conv1.weight", "conv1.bias"], (g, x) =>
        {
            var a = g.Conv2d(x, 2, 1);
            return g.Concat([a, a]);
        }),
    };

    private static void Copy(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (src, dst) = (RandomTensors.Uniform(g.SrcLength, 1), RandomTensors.Uniform(g.DstLength, 2));
        var output = acc.Upload(dst);
        acc.ChannelCopy(g, acc.Upload(src), output, accumulate: false);

        TensorAssert.Close(ReferenceOps.ChannelCopy(g, src.ToDouble(), dst.ToDouble(), false), output.ToArray(), 0, 0,
            $"channel copy {name}");
    }

    private static void Accumulate(Accelerator acc, string name)
    {
        var g = Cases[name];
        var (src, dst) = (RandomTensors.Uniform(g.SrcLength, 3), RandomTensors.Uniform(g.DstLength, 4));
        var output = acc.Upload(dst);
        acc.ChannelCopy(g, acc.Upload(src), output, accumulate: true);

        // One float addition per element: at most half an ulp of a value below 2.
        TensorAssert.Close(ReferenceOps.ChannelCopy(g, src.ToDouble(), dst.ToDouble(), true), output.ToArray(),
            1.2e-7, 0, $"channel accumulate {name}");
    }
}
