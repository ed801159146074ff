using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// Evaluation-mode fusion of a convolution with the batch norm and ReLU after it: the same predictions, bitwise, as
/// the plain schedule; intermediate outputs and backward still see every node's own output; new parameters and
/// statistics (loaded, or moved by an optimizer step) take effect at the next pass; a warm pass allocates nothing.
/// </summary>
public sealed class InferenceFusionTests : IDisposable
{
    private static readonly Shape InputShape = new(5, 9, 7);
    private readonly CpuAccelerator acc = new(2);

    public void Dispose() => acc.Dispose();

    // conv-bn-relu, a stride-2 residual join (conv-bn plus a 1x1 conv with bias) then ReLU, conv-relu without
    // batch norm (not fused), and a stride-2 conv-bn read by the pool, on odd channel counts and map sizes.
    // At batch 1 the last convolution has 6 output pixels and runs on the few-pixel kernel.
    private Network Build(int seed = 7)
    {
        var g = new GraphBuilder();
        var x = g.Input(InputShape);
        var h = g.Relu(g.BatchNorm2d(g.Conv2d(x, 19, 3, padding: 1, bias: false, name: "conv1"), name: "bn1"));
        var r = g.BatchNorm2d(g.Conv2d(h, 23, 3, 2, 1, bias: false, name: "conv2"), name: "bn2");
        var s = g.Conv2d(x, 23, 1, 2, name: "shortcut");
        var y = g.Relu(g.Add(r, s));
        y = g.Relu(g.Conv2d(y, 67, 3, padding: 1, name: "conv3"));
        var tail = g.BatchNorm2d(g.Conv2d(y, 40, 3, 2, 1, bias: false, name: "conv4"), name: "bn4");
        var output = g.Linear(g.Flatten(g.GlobalAvgPool2d(tail)), 10, name: "fc");
        var net = g.Build(output, acc, maxBatch: 3, seed: (ulong)seed);
        Randomize(net, seed);
        return net;
    }

    // Statistics and affine parameters away from their 0 / 1 starting values, or the batch norm would do nothing.
    private static void Randomize(Network net, int seed)
    {
        foreach (var node in net.Nodes.OfType<BatchNorm2dNode>())
        {
            var channels = node.OutputShape[0];
            node.States[0].Load(RandomTensors.Uniform(channels, seed++, -0.3f, 0.3f));
            node.States[1].Load(RandomTensors.Uniform(channels, seed++, 0.5f, 2f));
            node.Parameters[0].Load(RandomTensors.Uniform(channels, seed++, 0.5f, 1.5f));
            node.Parameters[1].Load(RandomTensors.Uniform(channels, seed++, -0.5f, 0.5f));
        }
    }

    private static float[] Input(int batch, int seed) => RandomTensors.Uniform(batch * InputShape.Size, seed);

    private static float[] Predict(Network net, float[] input, int batch, bool fuse)
    {
        net.FuseInference = fuse;
        return net.Predict(input, batch);
    }

    [Fact]
    public void EachConvolutionFusesWithWhatAloneReadsIt()
    {
        using var net = Build();
        var groups = net.FusedGroups().Select(f => $"{f.Conv}->{f.Last}").ToList();
        string ReaderOf(string name) => net.Nodes.First(n => n.Inputs.Contains(net.Node(name))).Name;
        Assert.Equal(3, groups.Count);
        Assert.Contains("conv1->" + ReaderOf("bn1"), groups);
        Assert.Contains("conv2->bn2", groups);
        Assert.Contains("conv4->bn4", groups);
        Assert.DoesNotContain(groups, f => f.StartsWith("conv3", StringComparison.Ordinal));
        Assert.DoesNotContain(groups, f => f.StartsWith("shortcut", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void FusedPredictionsEqualThePlainSchedulesBitwise(int batch)
    {
        using var net = Build();
        var input = Input(batch, 1);
        var plain = Predict(net, input, batch, fuse: false);
        var fused = Predict(net, input, batch, fuse: true);
        Assert.Equal(plain, fused);
        Assert.Equal(fused, Predict(net, input, batch, fuse: true));
    }

    [Fact]
    public void FusedAwayOutputsAreComputedWhenAskedFor()
    {
        using var fused = Build();
        using var plain = Build();
        var (first, second) = (Input(3, 2), Input(3, 3));
        Predict(fused, first, 3, fuse: false);
        Predict(fused, second, 3, fuse: true);
        Predict(plain, second, 3, fuse: false);
        foreach (var name in new[] { "conv1", "bn1", "conv2", "conv4" })
        {
            Assert.Equal(plain.OutputOf(plain.Node(name)).ToArray(), fused.OutputOf(fused.Node(name)).ToArray());
        }
    }

    [Fact]
    public void NewStatisticsAndParametersTakeEffectAtOnce()
    {
        using var net = Build();
        var input = Input(3, 4);
        var before = Predict(net, input, 3, fuse: true);

        // A checkpoint-style load of new statistics and weights.
        Randomize(net, 100);
        net.Parameter("conv2.weight").Load(RandomTensors.Uniform(net.Parameter("conv2.weight").Length, 101, -0.2f,
            0.2f));
        var loaded = Predict(net, input, 3, fuse: true);
        Assert.NotEqual(before, loaded);
        Assert.Equal(Predict(net, input, 3, fuse: false), loaded);

        // A training step moves the weights and the running statistics; evaluation must follow both.
        net.Train();
        net.Forward(input, 3);
        acc.Fill(net.GradOf(net.Output)!, 0.1f);
        using var sgd = new Sgd(net.Parameters(), lr: 0.5f);
        net.ZeroGrad();
        net.Backward(net.Output);
        sgd.Step();
        var stepped = Predict(net, input, 3, fuse: true);
        Assert.NotEqual(loaded, stepped);
        Assert.Equal(Predict(net, input, 3, fuse: false), stepped);
        Assert.True(net.IsTraining, "Predict restores the mode it found");
    }

    [Fact]
    public void BackwardAfterAFusedPassDifferentiatesThatPass()
    {
        using var fused = Build();
        using var plain = Build();
        var input = Input(3, 5);
        foreach (var (net, fuse) in new[] { (fused, true), (plain, false) })
        {
            net.FuseInference = fuse;
            net.Eval();
            net.Forward(input, 3);
            acc.Fill(net.GradOf(net.Output)!, 0.25f);
            net.ZeroGrad();
            net.Backward(net.Output);
        }

        foreach (var name in new[] { "conv1.weight", "bn1.weight", "bn2.bias", "conv4.weight", "fc.weight" })
        {
            Assert.Equal(plain.Parameter(name).GradToArray(), fused.Parameter(name).GradToArray());
        }
    }

    [Fact]
    public void AWarmFusedPassAllocatesNothing()
    {
        using var net = Build();
        var input = Input(3, 6);
        net.Eval();
        foreach (var batch in new[] { 1, 3 })
        {
            net.Forward(input, batch);

            // As in AllocationTests: the best of a few windows, since the runtime may allocate now and then on any
            // thread (tiered compilation); a pass that allocated would do so in every window.
            var windows = new long[4];
            for (var w = 0; w < windows.Length; w++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < 5; i++)
                {
                    net.Forward(input, batch);
                }

                windows[w] = GC.GetAllocatedBytesForCurrentThread() - before;
            }

            Assert.True(windows.Min() == 0, $"batch {batch}: bytes per window of five passes: " +
                string.Join(", ", windows));
        }
    }

    [Fact]
    public void OneAndTwoThreadsPredictTheSame()
    {
        using var single = new CpuAccelerator(1);
        var g = new GraphBuilder();
        var x = g.Input(InputShape);
        var h = g.Relu(g.BatchNorm2d(g.Conv2d(x, 70, 3, 2, 1, bias: false, name: "a"), name: "abn"));
        var output = g.Relu(g.BatchNorm2d(g.Conv2d(h, 71, 3, 2, 1, bias: false, name: "b"), name: "bbn"));
        using var one = g.Build(output, single, maxBatch: 1, seed: 3);
        using var two = g.Build(output, acc, maxBatch: 1, seed: 3);
        Randomize(one, 9);
        Randomize(two, 9);
        var input = Input(1, 7);
        Assert.Equal(one.Predict(input, 1), two.Predict(input, 1));
    }
}
