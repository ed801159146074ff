using System.Text.Json.Nodes;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;
using GpuCnn.Tests.Kernels;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Engine;

/// <summary>
/// Each optimizer against torch.optim 1.13 itself: a few steps of PyTorch's SGD, Adam, AdamW, Adadelta and RMSprop
/// (with weight decay, momentum, centering) on a Linear(5, 4) layer's weight and bias, recorded by
/// Tests/golden/make_optimizer_golden.py with the gradient of every step. The same gradients go through our
/// optimizer classes on every accelerator of the op suite; the parameters after every step and the state tensors
/// after the last (by PyTorch's names) must agree.
/// </summary>
public sealed class OptimizerConformanceTests
{
    private static readonly string[] ParameterNames = ["layer.weight", "layer.bias"];

    public static TheoryData<string, string> Cases => Accelerators.CrossOpSuite(Names());

    [Fact]
    public void EveryOptimizerHasAFixture()
    {
        var kinds = Names().Select(n => Fixture.Load(n).Kind).ToHashSet();
        Assert.Superset(new HashSet<string> { "SGD", "Adam", "AdamW", "Adadelta", "RMSprop" }, kinds);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StepsMatchPyTorch(string accelerator, string name)
    {
        var fixture = Fixture.Load(name);
        using var acc = Accelerators.Create(accelerator);
        var g = new GraphBuilder();
        var y = g.Linear(g.Input(new Shape(5)), 4, name: "layer");
        using var net = g.Build(y, acc, maxBatch: 1);
        foreach (var p in net.Parameters())
        {
            p.Load(fixture["param." + p.Name].Data);
        }

        using var optimizer = fixture.Create(net.Parameters());
        Assert.Equal(fixture.Kind, optimizer.Name);
        for (var step = 1; step <= fixture.Steps; step++)
        {
            foreach (var p in net.Parameters())
            {
                acc.CopyFromHost(fixture[$"grad.{step}.{p.Name}"].Data, p.Grad);
            }

            optimizer.Step();
            foreach (var p in net.Parameters())
            {
                TensorAssert.Close(fixture[$"after.{step}.{p.Name}"].Data.ToDouble(), p.ToArray(), 1e-6, 1e-5,
                    $"{name}: {p.Name} after step {step}");
            }
        }

        var state = optimizer.State;
        var expected = fixture.WithPrefix("state.").ToList();
        Assert.Equal(expected.Select(t => t.Name["state.".Length..]).Order(), state.Keys.Order());
        foreach (var t in expected)
        {
            TensorAssert.Close(t.Data.ToDouble(), state[t.Name["state.".Length..]].ToArray(), 1e-6, 1e-5,
                $"{name}: {t.Name}");
        }
    }

    private static IEnumerable<string> Names()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "golden", "optimizers");
        return Directory.GetFiles(folder, "*.safetensors").Select(f => Path.GetFileNameWithoutExtension(f)!)
            .Order(StringComparer.Ordinal);
    }

    /// <summary>One fixture: its tensors by name and the case, PyTorch's class name and keyword arguments.</summary>
    private sealed class Fixture
    {
        private readonly Dictionary<string, NamedTensor> tensors;
        private readonly JsonObject @case;

        private Fixture(string name)
        {
            var path = Path.Combine(AppContext.BaseDirectory, "golden", "optimizers", name + ".safetensors");
            var (list, metadata) = SafeTensors.Read(path);
            tensors = list.ToDictionary(t => t.Name);
            @case = JsonNode.Parse(metadata["case"])!.AsObject();
            Assert.Equal(ParameterNames.Order(), WithPrefix("param.").Select(t => t.Name["param.".Length..]).Order());
        }

        public string Kind => @case["optimizer"]!.GetValue<string>();

        public int Steps => @case["steps"]!.GetValue<int>();

        public NamedTensor this[string name] => tensors[name];

        public static Fixture Load(string name) => new(name);

        public IEnumerable<NamedTensor> WithPrefix(string prefix) =>
            tensors.Values.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal));

        /// <summary>Our optimizer with the fixture's arguments; what the case leaves out takes PyTorch's default,
        /// which must be ours too.</summary>
        public Optimizer Create(IEnumerable<Parameter> p)
        {
            var lr = Float("lr");
            var decay = Float("weight_decay");
            var betas = @case["betas"]?.AsArray().Select(b => (float)b!.GetValue<double>()).ToArray();
            return Kind switch
            {
                "SGD" => new Sgd(p, lr!.Value, Float("momentum") ?? 0f, Float("dampening") ?? 0f, decay ?? 0f,
                    @case["nesterov"]?.GetValue<bool>() ?? false),
                "Adam" => betas is null
                    ? new Adam(p, lr ?? 1e-3f, eps: Float("eps") ?? 1e-8f, weightDecay: decay ?? 0f)
                    : new Adam(p, lr ?? 1e-3f, betas[0], betas[1], Float("eps") ?? 1e-8f, decay ?? 0f),
                "AdamW" => betas is null ? new AdamW(p, lr ?? 1e-3f, eps: Float("eps") ?? 1e-8f,
                        weightDecay: decay ?? 0.01f)
                    : new AdamW(p, lr ?? 1e-3f, betas[0], betas[1], Float("eps") ?? 1e-8f, decay ?? 0.01f),
                "Adadelta" => new Adadelta(p, lr ?? 1f, Float("rho") ?? 0.9f, Float("eps") ?? 1e-6f, decay ?? 0f),
                "RMSprop" => new RmsProp(p, lr ?? 1e-2f, Float("alpha") ?? 0.99f, Float("eps") ?? 1e-8f,
                    decay ?? 0f, Float("momentum") ?? 0f, @case["centered"]?.GetValue<bool>() ?? false),
                _ => throw new InvalidOperationException($"No optimizer '{Kind}'."),
            };
        }

        private float? Float(string key) => @case[key] is { } node ? (float)node.GetValue<double>() : null;
    }
}
