using GpuCnn.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// Chains of layers that no single op descriptor owns, checked as each descriptor's layers are
/// (<see cref="OpGradientTests.LayerGradientsMatchCentralDifferences"/>): the gradients a network's backward pass
/// leaves in the input and in every parameter against central differences of its own forward pass.
/// </summary>
public sealed class GradientChecksNodes
{
    private static readonly Dictionary<string, LayerCase> Cases = new()
    {
        // The batch norm's output feeds the ReLU; this input keeps every value of it at least 0.1 from the kink
        // (checked), farther than any single step of 0.01 moves it.
        ["conv-bn-relu"] = new(new Shape(2, 3, 3), count => RandomTensors.Uniform(count, 23),
            ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias"],
            (g, x) => g.Relu(g.BatchNorm2d(g.Conv2d(x, 2, 2))), KinkMargin: 0.1f),
    };

    public static TheoryData<string, string> Data => Accelerators.Cross(Cases.Keys);

    [Theory]
    [MemberData(nameof(Data))]
    public void NodeGradientsMatchCentralDifferences(string accelerator, string name) =>
        OpGradientTests.Check(accelerator, name, Cases[name]);
}
