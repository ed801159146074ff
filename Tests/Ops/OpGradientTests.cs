using GpuCnn.Engine;
using GpuCnn.Kernels;
using GpuCnn.Tests.Engine;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Ops;

/// <summary>
/// Gradients of every descriptor against central differences: its kernels' backward against their own forward on
/// every accelerator (the descriptor's <see cref="OpDescriptor.KernelGradients"/>), and its layer in a graph whose
/// input requires a gradient: the gradients the network's backward pass leaves in the input and in every parameter
/// against central differences of the network's own forward pass, in float on each accelerator. The layer check
/// shows how a node wires its kernels: which buffer it hands to which argument, the batch it passes, what it skips.
/// </summary>
public sealed class OpGradientTests
{
    private const int Batch = 3;
    private const float Step = 1e-2f;
    private const double Atol = 1e-4;
    private const double Rtol = 1e-3;

    public static TheoryData<string, string, string, string> KernelData =>
        OpTheoryData.Kernel(d => d.KernelGradients);

    public static TheoryData<string, string, string> LayerData
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var accelerator in Accelerators.OpSuiteNames)
            {
                foreach (var op in OpRegistry.All.Where(o => Accelerators.Runs(accelerator, o.Name)))
                {
                    // ILGPU's CPU accelerator simulates every GPU thread, and a layer's gradient check runs hundreds
                    // of forward passes: that row checks each op's first layer case (its kernel gradients and
                    // parity still cover every case), which keeps the row within minutes on two cores.
                    var layers = op.Layers.Keys.Where(k => Accelerators.Runs(accelerator, op.Name, k));
                    if (accelerator == Accelerators.IlgpuCpu)
                    {
                        layers = layers.Take(Accelerators.IlgpuLayerCasesPerOp);
                    }

                    foreach (var item in layers)
                    {
                        data.Add(accelerator, op.Name, item);
                    }
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(KernelData))]
    public void KernelGradientsMatchCentralDifferences(string accelerator, string op, string check, string item)
    {
        var run = OpRegistry.Get(op).KernelGradients.Single(c => c.Name == check).Run;
        using var acc = Accelerators.Create(accelerator);
        run(acc, item);
    }

    [Theory]
    [MemberData(nameof(LayerData))]
    public void LayerGradientsMatchCentralDifferences(string accelerator, string op, string name) =>
        Check(accelerator, name, OpRegistry.Get(op).Layers[name]);

    /// <summary>The layer gradient check of one case; also used for chains no single descriptor owns.</summary>
    internal static void Check(string accelerator, string name, LayerCase item)
    {
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var x = g.Input(item.Input, requiresGrad: true);
        var output = item.Make(g, x);
        using var net = g.Build(output, acc, maxBatch: Batch, seed: 5);
        if (item.Eval)
        {
            net.Eval();
        }

        Assert.Equal(item.Parameters, net.Parameters().Select(p => p.Name));
        var outputLength = Batch * output.OutputShape.Size;
        var r = RandomTensors.Uniform(outputLength, 2).ToDouble();
        var input = item.Data(Batch * item.Input.Size);
        acc.CopyFromHost(input, net.OutputOf(net.Input));
        double Loss()
        {
            net.Forward(Batch);
            return FiniteDifferences.Dot(Head(net.OutputOf(output), outputLength), r);
        }

        net.Forward(Batch);
        if (item.KinkMargin > 0)
        {
            var kinkInput = Head(net.OutputOf(output.Inputs[0]), outputLength);
            Assert.All(kinkInput, v => Assert.True(Math.Abs(v) > item.KinkMargin, $"{v} lies near the kink at 0"));
        }

        acc.CopyFromHost(Array.ConvertAll(r, v => (float)v), net.GradOf(output)!);
        net.Backward(output);

        TensorAssert.Close(FiniteDifferences.Gradient(acc, net.OutputOf(net.Input), input, Loss, Step),
            Head(net.GradOf(net.Input)!, input.Length), Atol, Rtol, $"{name} input gradient");
        foreach (var p in net.Parameters())
        {
            TensorAssert.Close(FiniteDifferences.Gradient(acc, p.Value, p.ToArray(), Loss, Step), p.GradToArray(),
                Atol, Rtol, $"{name} {p.Name} gradient");
        }
    }

    private static float[] Head(DeviceBuffer buffer, int count) => buffer.ToArray()[..count];
}
