using GpuCnn.Engine;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Engine;

public sealed class GraphBuildTests : IDisposable
{
    private readonly CpuAccelerator acc = new();

    public void Dispose() => acc.Dispose();

    [Fact]
    public void ShapeMismatchNamesTheNodeTheInputShapeAndTheFormula()
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(3, 4, 4));
        var y = g.Conv2d(x, 8, 5, name: "too_big");

        var error = Assert.Throws<GraphException>(() => g.Build(y, acc));

        Assert.Contains("'too_big'", error.Message);
        Assert.Contains("(3, 4, 4)", error.Message);
        Assert.Contains("floor((N + 2P - F)/S) + 1", error.Message);
        Assert.Contains("= 0", error.Message);
    }

    [Fact]
    public void LinearOnAnImageAsksForFlatten()
    {
        var g = new GraphBuilder();
        var y = g.Linear(g.Input(new Shape(1, 28, 28)), 10);

        var error = Assert.Throws<GraphException>(() => g.Build(y, acc));

        Assert.Contains("fc1", error.Message);
        Assert.Contains("Flatten", error.Message);
    }

    [Fact]
    public void DuplicateNamesAreRejected()
    {
        var g = new GraphBuilder();
        var x = g.Input(new Shape(4));
        g.Linear(x, 3, name: "head");
        Assert.Throws<GraphException>(() => g.Linear(x, 3, name: "head"));
    }

    [Fact]
    public void ParametersCarryPyTorchNamesInScheduleOrder()
    {
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 2);

        Assert.Equal(
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight",
                "fc2.bias", "fc3.weight", "fc3.bias"],
            net.Parameters().Select(p => p.Name));
        Assert.Equal(61_706, net.ParameterCount);
        Assert.Equal(new Shape(16, 6, 5, 5), net.Parameter("conv2.weight").Shape);
    }

    [Fact]
    public void SeedNetHasTheExerciseShapes()
    {
        using var net = ModelZoo.Build("seednet", acc, maxBatch: 2);

        Assert.Equal(new Shape(64, 13, 13), net.Node("conv1").OutputShape); // 3x3 stride 2 valid on 28
        Assert.Equal(new Shape(32, 13, 13), net.Node("conv2").OutputShape); // 2x2 same keeps 13
        Assert.Equal(new Shape(32, 12, 12), net.Node("pool1").OutputShape); // 2x2 stride 1
        Assert.Equal(1_191_338, net.ParameterCount);
    }

    [Fact]
    public void InitialisationIsPyTorchsUniformBoundAndSeeded()
    {
        using var a = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 7);
        using var b = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 7);
        using var c = ModelZoo.Build("lenet5", acc, maxBatch: 1, seed: 8);

        var w = a.Parameter("fc1.weight").ToArray();
        Assert.Equal(w, b.Parameter("fc1.weight").ToArray());
        Assert.NotEqual(w, c.Parameter("fc1.weight").ToArray());
        var bound = 1 / MathF.Sqrt(400);
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        // A uniform distribution on [-b, b] has standard deviation b/sqrt(3).
        var std = Math.Sqrt(w.Select(v => (double)v * v).Average());
        Assert.InRange(std, bound / Math.Sqrt(3) * 0.97, bound / Math.Sqrt(3) * 1.03);
    }

    [Fact]
    public void BatchLargerThanPlannedIsAClearError()
    {
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 4);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => net.Forward(new float[5 * 784], 5));
        Assert.Contains("batches of 1 to 4", error.Message);
    }

    [Fact]
    public void SummaryCountsLeNetParametersAndMultiplyAdds()
    {
        using var net = ModelZoo.Build("lenet5", acc, maxBatch: 1);
        var summary = ModelSummary.Of(net);

        Assert.Equal(61_706, summary.TotalParameters);
        Assert.Equal(117_600, summary.Rows.Single(r => r.Name == "conv1").MultiplyAdds); // 6*28*28*5*5*1
        Assert.Equal(240_000, summary.Rows.Single(r => r.Name == "conv2").MultiplyAdds); // 16*10*10*5*5*6
        Assert.Contains("61,706", summary.ToText());
    }
}

public sealed class SummaryFieldTests
{
    [Fact]
    public void ReceptiveFieldGrowsAsTheLectureNotesCount()
    {
        // Two 3x3 convolutions see 5x5 of the input (seed 001); LeNet's last conv sees 16x16 of the image.
        using var acc = new CpuAccelerator(1);
        var g = new GraphBuilder();
        var y = g.Conv2d(g.Conv2d(g.Input(new Shape(1, 7, 7)), 1, 3), 1, 3);
        using var net = g.Build(y, acc, maxBatch: 1);
        Assert.Equal(5, ModelSummary.Of(net).Rows[^1].ReceptiveField);

        using var lenet = ModelZoo.Build("lenet5", acc, maxBatch: 1);
        var rows = ModelSummary.Of(lenet).Rows;
        Assert.Equal(5, rows.Single(r => r.Name == "conv1").ReceptiveField);
        Assert.Equal(6, rows.Single(r => r.Name == "pool1").ReceptiveField);
        Assert.Equal(14, rows.Single(r => r.Name == "conv2").ReceptiveField); // 6 + 4*2
        Assert.Equal(16, rows.Single(r => r.Name == "pool2").ReceptiveField); // 14 + 1*2
        Assert.Equal(28, rows.Single(r => r.Name == "fc1").ReceptiveField); // a dense layer sees the whole image
    }

    [Fact]
    public void MemoryFiguresCountActivationsAndParameters()
    {
        using var acc = new CpuAccelerator(1);
        using var lenet = ModelZoo.Build("lenet5", acc, maxBatch: 1);
        var summary = ModelSummary.Of(lenet);

        Assert.Equal(6 * 28 * 28 * 4, summary.Rows.Single(r => r.Name == "conv1").ActivationBytes);
        Assert.Equal(2 * 416_520, summary.ForwardFlops);
        var activations = summary.Rows.Where(r => r.Kind != "Flatten").Sum(r => r.ActivationBytes);
        Assert.Equal(61_706L * 4 * 4 + 2L * 64 * activations, summary.TrainingStepBytes(64));
    }
}
