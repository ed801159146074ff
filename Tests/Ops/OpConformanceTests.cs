using GpuCnn.Engine;
using GpuCnn.Tests.Conformance;
using GpuCnn.Tests.Kernels;
using Xunit;

namespace GpuCnn.Tests.Ops;

/// <summary>
/// Every layer fixture PyTorch wrote (Tests/golden/layers): the descriptor named by the fixture's "op" builds the
/// same layer, which, loaded with PyTorch's parameters, must give PyTorch's output, input gradient, parameter
/// gradients and running statistics on every accelerator.
/// </summary>
public sealed class OpConformanceTests
{
    public static TheoryData<string, string> Data
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var accelerator in Accelerators.OpSuiteNames)
            {
                foreach (var name in GoldenCase.Names("layers"))
                {
                    var golden = GoldenCase.Load("layers", name);
                    if (Accelerators.Runs(accelerator, OpRegistry.ForFixture(golden.Op, golden.Path).Name))
                    {
                        data.Add(accelerator, name);
                    }
                }
            }

            return data;
        }
    }

    [Fact]
    public void FixturesArePresent() => Assert.True(GoldenCase.Names("layers").Count() >= 30,
        $"expected the layer fixtures in {GoldenCase.Folder("layers")}");

    [Fact]
    public void EveryFixtureOpIsClaimedByOneDescriptorAndHasAFixture()
    {
        var fixtureOps = GoldenCase.Names("layers").Select(n => GoldenCase.Load("layers", n).Op).ToHashSet();
        var claimed = OpRegistry.All.SelectMany(d => d.FixtureOps.Select(op => (Op: op, d.Name))).ToList();

        Assert.Empty(claimed.GroupBy(c => c.Op).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.Empty(fixtureOps.Except(claimed.Select(c => c.Op)));
        Assert.Empty(claimed.Where(c => !fixtureOps.Contains(c.Op)).Select(c => $"{c.Name}: {c.Op}"));
    }

    [Fact]
    public void DescriptorNamesAreUnique() =>
        Assert.Empty(OpRegistry.All.GroupBy(d => d.Name).Where(g => g.Count() > 1).Select(g => g.Key));

    [Theory]
    [MemberData(nameof(Data))]
    public void LayerMatchesPyTorch(string accelerator, string name)
    {
        var golden = GoldenCase.Load("layers", name);
        var x = golden["input"];
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var input = g.Input(new Shape(x.Shape[1..]), requiresGrad: true);
        var output = OpRegistry.ForFixture(golden.Op, golden.Path).BuildFixture(g, input, golden);
        using var net = g.Build(output, acc, maxBatch: x.Shape[0]);
        golden.Check(net, output, 2e-5, 2e-4);
    }
}
