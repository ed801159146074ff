using GpuCnn.Engine;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>Shape inference of the nodes that join branches: Add and Concat.</summary>
public sealed class JoinShapeTests
{
    [Fact]
    public void AddTakesTwoBranchesOfEqualShapeMadeSeparately()
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(3, 8, 8));
        var a = g.Conv2d(x, 4, 3, padding: 1);
        var b = g.Conv2d(x, 4, 1);

        var sum = g.Add(a, b);

        Assert.Equal(new Shape(4, 8, 8), ModelSummary.Of(g, sum).Rows[^1].OutputShape);
    }

    [Fact]
    public void AddOfDifferentShapesNamesTheNodeAndBothShapes()
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(3, 8, 8));
        var sum = g.Add(g.Conv2d(x, 4, 3, padding: 1), g.Conv2d(x, 4, 3), "join");

        var e = Assert.Throws<GraphException>(() => ModelSummary.Of(g, sum));

        Assert.Contains("'join'", e.Message);
        Assert.Contains("(4, 8, 8), (4, 6, 6)", e.Message);
    }

    [Fact]
    public void ConcatAddsTheChannelsOfItsInputs()
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(3, 8, 8));

        var cat = g.Concat([g.Conv2d(x, 4, 1), x, g.Conv2d(x, 5, 3, padding: 1)]);

        Assert.Equal(new Shape(12, 8, 8), ModelSummary.Of(g, cat).Rows[^1].OutputShape);
    }
}
