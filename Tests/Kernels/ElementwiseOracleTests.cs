using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>Activations' and softmax's special cases on every accelerator: only the first count elements are
/// touched, an unknown kind is refused, large logits stay finite. Each activation's and softmax's cases against the
/// double reference are their descriptors' (Tests/Ops).</summary>
public sealed class ElementwiseOracleTests
{
    [Fact]
    public void EveryActivationKindHasOneDescriptor()
    {
        // The descriptors in Tests/Ops run each kind's oracle, parity, gradient and fixture tests; a kind added to
        // the enum without one would go untested.
        var kinds = OpRegistry.All.OfType<ActivationDescriptor>().Select(d => d.Kind).ToList();
        Assert.Equal(Enum.GetValues<ActivationKind>().Order(), kinds.Order());
        Assert.Throws<ArgumentOutOfRangeException>(() => ActivationDescriptor.For((ActivationKind)99));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void ActivationsOnlyTouchTheFirstCountElements(string accelerator)
    {
        using var acc = Accelerators.Create(accelerator);
        var y = acc.Filled(20, -7f);
        var dx = acc.Filled(20, -7f);
        acc.ActivationForward(ActivationKind.Tanh, acc.Filled(20, 1f), y, 11);
        var (x, yOfX) = (acc.Filled(20, 0f), acc.Filled(20, 0.5f));
        acc.ActivationBackward(ActivationKind.Sigmoid, x, yOfX, acc.Filled(20, 1f), dx, 11);

        var (yHost, dxHost) = (y.ToArray(), dx.ToArray());
        Assert.All(yHost[11..], v => Assert.Equal(-7f, v));
        Assert.All(dxHost[11..], v => Assert.Equal(-7f, v));
        Assert.All(yHost[..11], v => Assert.Equal(Math.Tanh(1), v, 1e-6));
        Assert.All(dxHost[..11], v => Assert.Equal(-7 + 0.25, v, 1e-6));
    }

    // A kind outside the enum used to run as sigmoid on both backends; now it is refused before anything runs.
    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void UnknownActivationKindIsAnError(string accelerator)
    {
        const ActivationKind Unknown = (ActivationKind)99;
        using var acc = Accelerators.Create(accelerator);
        var (x, y, dx) = (acc.Filled(8, 0.5f), acc.Filled(8, -7f), acc.Filled(8, -7f));

        var forward = Assert.Throws<ArgumentOutOfRangeException>(() => acc.ActivationForward(Unknown, x, y, 8));
        var backward = Assert.Throws<ArgumentOutOfRangeException>(
            () => acc.ActivationBackward(Unknown, x, x, x, dx, 8));

        Assert.All(new[] { forward, backward }, e =>
        {
            Assert.Equal("kind", e.ParamName);
            Assert.Contains("99", e.Message, StringComparison.Ordinal);
        });
        Assert.All(y.ToArray(), v => Assert.Equal(-7f, v));
        Assert.All(dx.ToArray(), v => Assert.Equal(-7f, v));
    }

    [Theory]
    [MemberData(nameof(Accelerators.All), MemberType = typeof(Accelerators))]
    public void SoftmaxOfLargeLogitsStaysFinite(string accelerator)
    {
        // exp(100) overflows float; a softmax must shift by the row maximum first (as PyTorch's does). A model that
        // ends in Softmax returns these from Predict.
        float[] x = [100f, 90f, -50f, 1000f, 0f, 999f];
        using var acc = Accelerators.Create(accelerator);
        var y = acc.Filled(6, float.NaN);
        acc.SoftmaxForward(acc.Upload(x), y, 2, 3);

        TensorAssert.Close(ReferenceOps.Softmax(x.ToDouble(), 2, 3), y.ToArray(), 1e-7, 1e-5, "softmax of large x");
    }
}
