using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using static GpuCnn.Tests.Ops.LayerData;

namespace GpuCnn.Tests.Ops;

/// <summary>Add, element-wise: its kernel is the buffer op AddInto (BufferOpsOracleTests); here the layer, where the
/// input reaches the output along two paths whose gradients must sum.</summary>
internal sealed class AddDescriptor : OpDescriptor
{
    public override string Name => "Add";

    public override IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>
    {
        ["add-input-and-conv"] = new(new Shape(2, 5, 4), Smooth, ["conv1.weight", "conv1.bias"],
            (g, x) => g.Add(x, g.Conv2d(x, 2, 3, 1, Padding2d.Same))),
        ["add-x-x"] = new(new Shape(2, 3, 4), Smooth, [], (g, x) => g.Add(x, x)),
    };
}
