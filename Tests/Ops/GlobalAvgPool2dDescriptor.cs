using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Tests.Conformance;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>GlobalAvgPool2d (PyTorch's AdaptiveAvgPool2d(1)): the layer and its fixture; its kernel is average
/// pooling with the whole plane as the window (<see cref="AvgPool2dDescriptor"/>).</summary>
internal sealed class GlobalAvgPool2dDescriptor : OpDescriptor
{
    public override string Name => "GlobalAvgPool2d";

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["global-avg-pool"] = new(new Shape(3, 4, 5), Smooth, [], (g, x) => g.GlobalAvgPool2d(x)),
    };

    public override IReadOnlyList<string> FixtureOps => ["gap"];

    public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) => g.GlobalAvgPool2d(x, "layer");
}
