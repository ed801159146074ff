using GpuCnn.Kernels.Ops;
using GpuCnn.Tests.Reference;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>Activations, softmax and bias addition against the double reference on every accelerator. Lengths
/// include a single element, tails that do not fill a SIMD vector, and one long enough to be split across
/// workers.</summary>
public sealed class ElementwiseOracleTests
{
    private static readonly int[] Lengths = [1, 7, 37, 1000, 70001];

    public static TheoryData<string, string> ActivationData => Accelerators.Cross(
        from kind in Enum.GetNames<ActivationKind>() from length in Lengths select $"{kind}/{length}");

    [Theory]
    [MemberData(nameof(ActivationData))]
    public void ActivationForwardMatchesReference(string accelerator, string item)
    {
        var (kind, count) = ParseActivation(item);
        var x = RandomTensors.Uniform(count, 1, -4f, 4f);
        using var acc = Accelerators.Create(accelerator);
        var y = acc.Filled(count, float.NaN);
        acc.ActivationForward(kind, acc.Upload(x), y, count);

        TensorAssert.Close(ReferenceOps.Activation(kind, x.ToDouble()), y.ToArray(), 1e-6, 1e-5, $"{item} y");
    }

    [Theory]
    [MemberData(nameof(ActivationData))]
    public void ActivationBackwardAddsReferenceGradient(string accelerator, string item)
    {
        var (kind, count) = ParseActivation(item);

        // y is a genuine forward output of x (ReLU's has exact zeros, where the gradient must not pass).
        var x = RandomTensors.Uniform(count, 2, -4f, 4f);
        var y = Array.ConvertAll(ReferenceOps.Activation(kind, x.ToDouble()), v => (float)v);
        var (dy, before) = (RandomTensors.Uniform(count, 3), RandomTensors.Uniform(count, 4));
        using var acc = Accelerators.Create(accelerator);
        var dx = acc.Upload(before);
        acc.ActivationBackward(kind, acc.Upload(x), acc.Upload(y), acc.Upload(dy), dx, count);

        var expected = Conv2dOracleTests.Add(before, ReferenceOps.ActivationBackward(kind, y.ToDouble(),
            dy.ToDouble()));
        TensorAssert.Close(expected, dx.ToArray(), 1e-6, 1e-5, $"{item} dx (added to prefill)");
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

    public static TheoryData<string, string> SoftmaxData => Accelerators.Cross(["1x1", "1x10", "7x10", "7x37", "3x2"]);

    [Theory]
    [MemberData(nameof(SoftmaxData))]
    public void SoftmaxForwardMatchesReference(string accelerator, string shape)
    {
        var (rows, columns) = ParseShape(shape);
        var x = RandomTensors.Uniform(rows * columns, 5, -5f, 5f);
        using var acc = Accelerators.Create(accelerator);
        var y = acc.Filled(rows * columns, float.NaN);
        acc.SoftmaxForward(acc.Upload(x), y, rows, columns);

        TensorAssert.Close(ReferenceOps.Softmax(x.ToDouble(), rows, columns), y.ToArray(), 1e-7, 1e-5,
            $"softmax {shape} y");
    }

    [Theory]
    [MemberData(nameof(SoftmaxData))]
    public void SoftmaxBackwardAddsReferenceGradient(string accelerator, string shape)
    {
        var (rows, columns) = ParseShape(shape);
        var y = Array.ConvertAll(ReferenceOps.Softmax(RandomTensors.Uniform(rows * columns, 6, -3f, 3f).ToDouble(),
            rows, columns), v => (float)v);
        var (dy, before) = (RandomTensors.Uniform(rows * columns, 7), RandomTensors.Uniform(rows * columns, 8));
        using var acc = Accelerators.Create(accelerator);
        var dx = acc.Upload(before);
        acc.SoftmaxBackward(acc.Upload(y), acc.Upload(dy), dx, rows, columns);

        var expected = Conv2dOracleTests.Add(before, ReferenceOps.SoftmaxBackward(y.ToDouble(), dy.ToDouble(), rows,
            columns));
        TensorAssert.Close(expected, dx.ToArray(), 1e-6, 1e-5, $"softmax {shape} dx (added to prefill)");
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

    public static TheoryData<string, string> BiasData => Accelerators.Cross(["7x5x1", "3x4x13", "1x1x1", "2x6x117"]);

    [Theory]
    [MemberData(nameof(BiasData))]
    public void BiasAddForwardAddsBiasPerChannel(string accelerator, string shape)
    {
        var (outer, channels, inner) = ParseBias(shape);
        var (y0, bias) = (RandomTensors.Uniform(outer * channels * inner, 9), RandomTensors.Uniform(channels, 10));
        using var acc = Accelerators.Create(accelerator);
        var y = acc.Upload(y0);
        acc.BiasAddForward(y, acc.Upload(bias), outer, channels, inner);

        var expected = ReferenceOps.BiasAdd(y0.ToDouble(), bias.ToDouble(), outer, channels, inner);
        TensorAssert.Close(expected, y.ToArray(), 1e-7, 1e-6, $"bias {shape} y");
    }

    [Theory]
    [MemberData(nameof(BiasData))]
    public void BiasAddBackwardAddsChannelSums(string accelerator, string shape)
    {
        var (outer, channels, inner) = ParseBias(shape);
        var (dy, before) = (RandomTensors.Uniform(outer * channels * inner, 11), RandomTensors.Uniform(channels, 12));
        using var acc = Accelerators.Create(accelerator);
        var db = acc.Upload(before);
        acc.BiasAddBackward(acc.Upload(dy), db, outer, channels, inner);

        var expected = Conv2dOracleTests.Add(before, ReferenceOps.BiasAddBackward(dy.ToDouble(), outer, channels,
            inner));
        TensorAssert.Close(expected, db.ToArray(), 1e-5, 1e-5, $"bias {shape} db (added to prefill)");
    }

    private static (ActivationKind Kind, int Count) ParseActivation(string item)
    {
        var parts = item.Split('/');
        return (Enum.Parse<ActivationKind>(parts[0]), int.Parse(parts[1]));
    }

    private static (int Rows, int Columns) ParseShape(string shape)
    {
        var parts = shape.Split('x').Select(int.Parse).ToArray();
        return (parts[0], parts[1]);
    }

    private static (int Outer, int Channels, int Inner) ParseBias(string shape)
    {
        var parts = shape.Split('x').Select(int.Parse).ToArray();
        return (parts[0], parts[1], parts[2]);
    }
}
