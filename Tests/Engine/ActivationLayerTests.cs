using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Tests.Kernels;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>GELU, SiLU and LeakyReLU as layers: their Sequential records, PyTorch's names in the summary, the
/// summary's counts, and the leaky slope's checks. Their numbers are their descriptors' (Tests/Ops).</summary>
public sealed class ActivationLayerTests
{
    [Fact]
    public void SequentialRecordsBuildTheFunctionalNodes()
    {
        using var acc = new CpuAccelerator(1);
        var model = new Sequential(new Conv2d(3, 3, Padding: 1), new GELU(), new SiLU(), new LeakyReLU(),
            new LeakyReLU(0.2f));
        using var net = model.Build(new Shape(2, 5, 5), acc, maxBatch: 1);

        Assert.Equal(["Conv2d", "GELU", "SiLU", "LeakyReLU", "LeakyReLU"], net.Nodes.Skip(1).Select(n => n.Kind));
        Assert.Equal(["1", "2", "3", "4"], net.Nodes.Skip(2).Select(n => n.Name));
        Assert.Equal([0.01f, 0.2f], net.Nodes.OfType<LeakyReluNode>().Select(n => n.NegativeSlope));
    }

    [Fact]
    public void GraphBuilderNamesThemAfterTheFunction()
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(4));
        var y = g.LeakyRelu(g.Silu(g.Gelu(g.Gelu(x))), negativeSlope: 0.3f);

        Assert.Equal("leaky_relu1", y.Name);
        Assert.Equal(["gelu1", "gelu2", "silu1"], [y.Inputs[0].Inputs[0].Inputs[0].Name,
            y.Inputs[0].Inputs[0].Name, y.Inputs[0].Name]);
    }

    [Fact]
    public void SummaryCountsThemAsTheOtherActivations()
    {
        // Element-wise activations count no multiply-adds (ReLU, tanh and sigmoid do not either: the summary's
        // figure is the layers' multiply-add work), keep the shape and pass the receptive field on.
        using var acc = new CpuAccelerator(1);
        var g = new GraphBuilder();
        var h = g.Conv2d(g.Input(new Shape(1, 8, 8)), 2, 3, name: "conv");
        h = g.LeakyRelu(g.Silu(g.Gelu(g.Relu(h))));

        using var net = g.Build(h, acc, maxBatch: 1);
        var rows = ModelSummary.Of(net).Rows.Skip(2).ToList();

        Assert.Equal(["ReLU", "GELU", "SiLU", "LeakyReLU"], rows.Select(r => r.Kind));
        Assert.All(rows, r => Assert.Equal(0, r.MultiplyAdds));
        Assert.All(rows, r => Assert.Equal(new Shape(2, 6, 6), r.OutputShape));
        Assert.All(rows, r => Assert.Equal(3, r.ReceptiveField));
        Assert.Equal("negative_slope=0.01", rows[^1].Details);
        Assert.Equal(2 * 6 * 6 * 9, ModelSummary.Of(net).TotalMultiplyAdds);
    }

    [Fact]
    public void ANonFiniteSlopeIsRefusedWhereTheGraphIsDefined()
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(4));

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => g.LeakyRelu(x, float.NaN));
        Assert.Equal("negativeSlope", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyReLU(float.PositiveInfinity).Apply(g, x, "a"));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void ANonFiniteSlopeIsRefusedByEveryAccelerator(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var (x, y) = (acc.Filled(8, -1f), acc.Filled(8, 5f));

        Assert.Throws<ArgumentOutOfRangeException>(() => acc.LeakyReluForward(x, y, 8, float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => acc.LeakyReluBackward(x, x, y, 8, float.NegativeInfinity));
        Assert.All(y.ToArray(), v => Assert.Equal(5f, v));

        acc.LeakyReluForward(x, y, 5, -2f);
        Assert.Equal([2f, 2f, 2f, 2f, 2f, 5f, 5f, 5f], y.ToArray());
    }
}
