using GpuCnn.Engine;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
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
/// <remarks>
/// On ILGPU's CPU accelerator, which simulates every GPU thread, a central-difference layer check (two forward
/// passes per input and parameter value: minutes for a batch norm) is replaced by the same graph's forward and
/// backward pass against the CPU backend's, on the same inputs and initial weights, for every layer case
/// (<see cref="LayerGradientsMatchTheCpuBackend"/>). The CPU row checks those gradients against central
/// differences, so a wrong ILGPU kernel or a wrong argument shows as a mismatch just the same; the ILGPU kernels'
/// own gradients are still checked against central differences (<see cref="KernelGradientsMatchCentralDifferences"/>).
/// </remarks>
public sealed class OpGradientTests
{
    private const int Batch = 3;
    private const float Step = 1e-2f;
    private const double Atol = 1e-4;
    private const double Rtol = 1e-3;

    public static TheoryData<string, string, string, string> KernelData =>
        OpTheoryData.Kernel(d => d.KernelGradients);

    public static TheoryData<string, string, string> LayerData => Layers(
        Accelerators.OpSuiteNames.Where(a => a != Accelerators.IlgpuCpu));

    /// <summary>The layer cases checked against the CPU backend rather than by central differences: all of them,
    /// on the ILGPU CPU accelerator.</summary>
    public static TheoryData<string, string, string> CpuParityLayerData => Layers(
        Accelerators.OpSuiteNames.Where(a => a == Accelerators.IlgpuCpu));

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

    [Theory]
    [MemberData(nameof(CpuParityLayerData))]
    public void LayerGradientsMatchTheCpuBackend(string accelerator, string op, string name)
    {
        var item = OpRegistry.Get(op).Layers[name];
        LayerPass expected, actual;
        using (var cpu = new CpuAccelerator())
        {
            expected = Pass(cpu, item);
        }

        using (var acc = Accelerators.Create(accelerator))
        {
            actual = Pass(acc, item);
        }

        // Both sides keep clear of the kink, so rounding cannot send one of them down the other branch.
        Assert.All(actual.KinkInput, v => Assert.True(Math.Abs(v) > item.KinkMargin, $"{v} lies near the kink at 0"));
        Assert.All(expected.KinkInput, v => Assert.True(Math.Abs(v) > item.KinkMargin, $"{v} lies near the kink"));

        // The central-difference check's tolerance: float sums in another order differ far less, a wrong kernel or
        // argument far more.
        TensorAssert.Close(expected.Output.ToDouble(), actual.Output, Atol, Rtol, $"{name} output");
        TensorAssert.Close(expected.InputGradient.ToDouble(), actual.InputGradient, Atol, Rtol,
            $"{name} input gradient");
        Assert.Equal(item.Parameters, actual.Parameters.Select(p => p.Name));
        Assert.Equal(item.Parameters, expected.Parameters.Select(p => p.Name));
        foreach (var (e, a) in expected.Parameters.Zip(actual.Parameters))
        {
            TensorAssert.Close(e.Gradient.ToDouble(), a.Gradient, Atol, Rtol, $"{name} {a.Name} gradient");
        }
    }

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

    private static TheoryData<string, string, string> Layers(IEnumerable<string> accelerators)
    {
        var data = new TheoryData<string, string, string>();
        foreach (var accelerator in accelerators)
        {
            foreach (var op in OpRegistry.All.Where(o => Accelerators.Runs(accelerator, o.Name)))
            {
                foreach (var item in op.Layers.Keys.Where(k => Accelerators.Runs(accelerator, op.Name, k)))
                {
                    data.Add(accelerator, op.Name, item);
                }
            }
        }

        return data;
    }

    // One forward and one backward pass of the case's graph on acc, from the inputs, initial weights and output
    // gradient the central-difference check uses.
    private static LayerPass Pass(Accelerator acc, LayerCase item)
    {
        var g = new GraphBuilder();
        var x = g.Input(item.Input, requiresGrad: true);
        var output = item.Make(g, x);
        using var net = g.Build(output, acc, maxBatch: Batch, seed: 5);
        if (item.Eval)
        {
            net.Eval();
        }

        var outputLength = Batch * output.OutputShape.Size;
        var input = item.Data(Batch * item.Input.Size);
        acc.CopyFromHost(input, net.OutputOf(net.Input));
        net.Forward(Batch);
        var y = Head(net.OutputOf(output), outputLength);
        var kinkInput = item.KinkMargin > 0 ? Head(net.OutputOf(output.Inputs[0]), outputLength) : [];
        acc.CopyFromHost(RandomTensors.Uniform(outputLength, 2), net.GradOf(output)!);
        net.Backward(output);
        return new LayerPass(y, kinkInput, Head(net.GradOf(net.Input)!, input.Length),
            net.Parameters().Select(p => (p.Name, p.GradToArray())).ToList());
    }

    private static float[] Head(DeviceBuffer buffer, int count) => buffer.ToArray()[..count];

    private sealed record LayerPass(float[] Output, float[] KinkInput, float[] InputGradient,
        List<(string Name, float[] Gradient)> Parameters);
}
