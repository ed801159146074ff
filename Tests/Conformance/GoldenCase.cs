using System.Text.Json.Nodes;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Conformance;

/// <summary>
/// One PyTorch fixture written by Tests/golden/make_golden.py: the input, PyTorch's output and gradients, every
/// parameter and buffer by its state_dict name, and the case description the graph is built from.
/// </summary>
internal sealed class GoldenCase
{
    private readonly Dictionary<string, NamedTensor> tensors;
    private bool normwiseComparison;

    private GoldenCase(string path)
    {
        Path = path;
        var (list, metadata) = SafeTensors.Read(path);
        tensors = list.ToDictionary(t => t.Name);
        Case = JsonNode.Parse(metadata["case"])!.AsObject();
    }

    public string Path { get; }

    public JsonObject Case { get; }

    public NamedTensor this[string name] => tensors.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"{Path}: no tensor '{name}'.");

    public bool Train => Case["train"]?.GetValue<bool>() ?? true;

    public IEnumerable<NamedTensor> WithPrefix(string prefix) =>
        tensors.Values.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The fixture folder (copied next to the test assembly), e.g. "layers".</summary>
    public static string Folder(string kind) => System.IO.Path.Combine(AppContext.BaseDirectory, "golden", kind);

    public static IEnumerable<string> Names(string kind) => Directory.Exists(Folder(kind))
        ? Directory.GetFiles(Folder(kind), "*.safetensors").Select(f => System.IO.Path.GetFileNameWithoutExtension(f)!)
            .Order(StringComparer.Ordinal)
        : [];

    public static GoldenCase Load(string kind, string name) =>
        new(System.IO.Path.Combine(Folder(kind), name + ".safetensors"));

    public T Get<T>(string key, T fallback) => Case[key] is { } node ? node.GetValue<T>() : fallback;

    /// <summary>The case's "op": which descriptor in Tests/Ops builds the layer.</summary>
    public string Op => Case["op"]?.GetValue<string>() ?? throw new InvalidOperationException($"{Path}: no \"op\".");

    public int Int(string key, int fallback = 0) => Get(key, fallback);

    public float Float(string key, float fallback) => (float)Get(key, (double)fallback);

    /// <summary>
    /// Loads the fixture's parameters and buffers into <paramref name="net"/> by name (every one must exist there,
    /// and every parameter of the network must come from the file), runs forward in the fixture's mode and
    /// backward from its output gradient, and compares output, input gradient, parameter gradients and the buffers
    /// after the step with PyTorch's.
    /// </summary>
    /// <remarks>With <paramref name="normwise"/>, each tensor is compared as a whole: the norm of the difference
    /// within <paramref name="rtol"/> of the expected tensor's norm (plus <paramref name="atol"/> per element).
    /// Deep networks need that: rounding differs between any two float implementations, and a few quantities are
    /// ill-conditioned (a bias before a batch norm has a true gradient of zero), so single elements stray while the
    /// tensor agrees.</remarks>
    public void Check(Network net, Node output, double atol, double rtol, bool normwise = false)
    {
        normwiseComparison = normwise;
        var acc = net.Accelerator;
        var loaded = new HashSet<string>();
        foreach (var t in WithPrefix("param."))
        {
            var name = t.Name["param.".Length..];
            var state = net.States().FirstOrDefault(s => s.Name == name);
            if (state is not null)
            {
                state.Load(t.Data);
            }
            else
            {
                net.Parameter(name).Load(t.Data);
            }

            loaded.Add(name);
        }

        var notLoaded = net.Parameters().Select(p => p.Name).Concat(net.States().Select(s => s.Name))
            .Where(n => !loaded.Contains(n)).ToList();
        if (notLoaded.Count > 0)
        {
            throw new InvalidOperationException($"{Path}: the network has {string.Join(", ", notLoaded)}, " +
                "which the fixture does not set.");
        }

        var x = this["input"];
        var batch = x.Shape[0];
        if (Train)
        {
            net.Train();
        }
        else
        {
            net.Eval();
        }

        net.ZeroGrad();
        net.Forward(x.Data, batch);
        var expected = this["output"];
        Compare(expected.Data.ToDouble(), Head(net.OutputOf(output), expected.Data.Length), atol, rtol,
            $"{Path}: output");

        acc.CopyFromHost(this["grad_output"].Data, net.GradOf(output)!);
        net.Backward(output);
        Compare(this["grad_input"].Data.ToDouble(), Head(net.GradOf(net.Input)!, x.Data.Length), atol, rtol,
            $"{Path}: input gradient");
        var zero = ZeroByConstruction(net);
        foreach (var g in WithPrefix("grad."))
        {
            var p = net.Parameter(g.Name["grad.".Length..]);
            if (zero.Contains(p.Name))
            {
                // Both sides hold rounding noise around an exact zero; only its size can be compared.
                Assert.True(Norm(p.GradToArray()) < 1e-4 && Norm(g.Data) < 1e-4,
                    $"{Path}: {p.Name} gradient should vanish: ours {Norm(p.GradToArray()):G3}, " +
                    $"PyTorch's {Norm(g.Data):G3}");
                continue;
            }

            Compare(g.Data.ToDouble(), p.GradToArray(), atol, rtol, $"{Path}: {p.Name} gradient");
        }

        foreach (var s in WithPrefix("state."))
        {
            var state = net.States().First(t => t.Name == s.Name["state.".Length..]);
            Compare(s.Data.ToDouble(), state.ToArray(), atol, rtol, $"{Path}: {state.Name} after the step");
        }
    }

    // The bias of a convolution whose only consumers are batch norms: the norm subtracts the batch mean, so the
    // loss does not depend on the bias and its gradient is zero in exact arithmetic.
    private static HashSet<string> ZeroByConstruction(Network net) => net.Nodes
        .OfType<Conv2dNode>()
        .Where(c => c.HasBias && net.Nodes.Where(n => n.Inputs.Contains(c)).ToList() is { Count: > 0 } consumers &&
            consumers.All(n => n is BatchNorm2dNode))
        .Select(c => c.Name + ".bias")
        .ToHashSet();

    private static double Norm(float[] values) => Math.Sqrt(values.Sum(v => (double)v * v));

    private void Compare(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double atol, double rtol,
        string what)
    {
        if (!normwiseComparison)
        {
            TensorAssert.Close(expected, actual, atol, rtol, what);
            return;
        }

        Assert.Equal(expected.Length, actual.Length);
        double difference = 0, reference = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            difference += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            reference += expected[i] * expected[i];
        }

        var (error, bound) = (Math.Sqrt(difference), rtol * Math.Sqrt(reference) + atol * Math.Sqrt(expected.Length));
        Assert.True(error <= bound, $"{what}: |got - expected| = {error:G4} exceeds {bound:G4} " +
            $"(rtol {rtol} of |expected| = {Math.Sqrt(reference):G4}, atol {atol} per element)");
    }

    private static float[] Head(DeviceBuffer buffer, int count) => buffer.ToArray()[..count];
}
