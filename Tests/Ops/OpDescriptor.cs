using GpuCnn.Engine;
using GpuCnn.Engine.Nodes;
using GpuCnn.Kernels;
using GpuCnn.Tests.Conformance;

namespace GpuCnn.Tests.Ops;

/// <summary>
/// Everything the tests know about one op, in one file: its named cases, the checks of its kernels against the
/// double-precision oracle, the finite-difference checks of its gradients, the layer it becomes in a graph, and the
/// PyTorch fixtures it must reproduce. The generic test classes (<see cref="OpParityTests"/>,
/// <see cref="OpGradientTests"/>, <see cref="OpConformanceTests"/>) enumerate every descriptor that
/// <see cref="OpRegistry"/> finds, so that a new op's tests are one new descriptor file (and its fixtures).
/// </summary>
/// <remarks>
/// A new op overrides what it has; every check is a name, its case names and a delegate that asserts:
/// <code>
/// internal sealed class Upsample2dDescriptor : OpDescriptor
/// {
///     private static readonly Dictionary&lt;string, Upsample2dGeometry&gt; Cases = new()
///         { ["x2"] = new(2, 3, 4, 5, 2) };
///     public override string Name =&gt; "Upsample2d";
///     public override IEnumerable&lt;KernelCheck&gt; Parity =&gt; [new("forward", Cases.Keys, Forward), ...];
///     public override IEnumerable&lt;OracleCheck&gt; Oracle =&gt; [new("gradient-is-derivative", Cases.Keys, ...)];
///     public override IReadOnlyDictionary&lt;string, LayerCase&gt; Layers =&gt;
///         new Dictionary&lt;string, LayerCase&gt;
///         { ["upsample-x2"] = new(new Shape(2, 3, 4), LayerData.Smooth, [], (g, x) =&gt; g.Upsample2d(x, 2)) };
///     public override IReadOnlyList&lt;string&gt; FixtureOps =&gt; ["upsample"];
///     public override Node BuildFixture(GraphBuilder g, Node x, GoldenCase f) =&gt;
///         g.Upsample2d(x, f.Int("scale"), "layer");
///     // Forward: run the kernel on acc, compare with this file's double-precision oracle by TensorAssert.Close.
/// }
/// </code>
/// An element-wise activation derives from <see cref="ActivationDescriptor"/> and gives only its kind, f, f' and
/// its layer.
/// </remarks>
internal abstract class OpDescriptor
{
    /// <summary>The op's name, as test names show it, e.g. "Conv2d".</summary>
    public abstract string Name { get; }

    /// <summary>Kernel against oracle, run on every accelerator: forward outputs, and gradients added to a
    /// prefilled buffer.</summary>
    public virtual IEnumerable<KernelCheck> Parity => [];

    /// <summary>Each accelerator's backward kernels against central differences of its own forward kernels, in
    /// float.</summary>
    public virtual IEnumerable<KernelCheck> KernelGradients => [];

    /// <summary>Checks of the oracle itself, without an accelerator: its sizes counted by brute force, its backward
    /// functions against central differences of its forward in double.</summary>
    public virtual IEnumerable<OracleCheck> Oracle => [];

    /// <summary>The op as a layer of a one-node graph (or a short chain): the input and parameter gradients of the
    /// network's backward pass against central differences of its forward pass, on every accelerator.</summary>
    public virtual IReadOnlyDictionary<string, LayerCase> Layers => new Dictionary<string, LayerCase>();

    /// <summary>The values of the "op" key in the PyTorch fixtures' case JSON (Tests/golden/layers) that this
    /// descriptor builds; make_golden.py writes them.</summary>
    public virtual IReadOnlyList<string> FixtureOps => [];

    /// <summary>The layer a fixture describes, named "layer" so that PyTorch's state_dict names
    /// (layer.weight) find its parameters. Called only for fixtures whose op is in <see cref="FixtureOps"/>.
    /// </summary>
    public virtual Node BuildFixture(GraphBuilder g, Node x, GoldenCase fixture) =>
        throw new NotSupportedException($"{Name} declares no PyTorch fixture (asked for {fixture.Path}).");

    public override string ToString() => Name;
}

/// <summary>One named check run on an accelerator for each of its cases.</summary>
internal sealed record KernelCheck(string Name, IEnumerable<string> Cases, Action<Accelerator, string> Run);

/// <summary>One named check of the oracle, run on the host for each of its cases.</summary>
internal sealed record OracleCheck(string Name, IEnumerable<string> Cases, Action<string> Run);

/// <summary>
/// A layer in a graph for the gradient check: the per-sample input shape, how its data is drawn (count -> values),
/// the parameter names the graph must create, in order, and how the layer is built on the input. Eval runs the
/// network in evaluation mode; a positive KinkMargin asserts that the output node's input stays that far from 0.
/// </summary>
internal sealed record LayerCase(Shape Input, Func<int, float[]> Data, string[] Parameters,
    Func<GraphBuilder, Node, Node> Make, bool Eval = false, float KinkMargin = 0);
