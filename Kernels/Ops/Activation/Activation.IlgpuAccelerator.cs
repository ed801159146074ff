using GpuCnn.Kernels.Ops;
using ILGPU;
using ILGPU.Algorithms;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's element-wise activations: one kernel per kind, chosen on the host, so no thread branches on
// the kind and an unknown kind fails before anything reaches the device.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void ActivationForwardCore(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count)
    {
        Action<Index1D, ArrayView<float>, ArrayView<float>> kernel = kind switch
        {
            ActivationKind.Relu => ActivationIlgpuKernels.ReluForward,
            ActivationKind.Tanh => ActivationIlgpuKernels.TanhForward,
            ActivationKind.Sigmoid => ActivationIlgpuKernels.SigmoidForward,
            _ => throw ActivationKinds.Unknown(kind, nameof(kind)),
        };
        Launch(kernel, count, View(x), View(y));
    }

    /// <inheritdoc />
    protected override void ActivationBackwardCore(
        ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count)
    {
        // The three kinds write f' through the output y (ActivationKind says so); x is not read.
        Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> kernel = kind switch
        {
            ActivationKind.Relu => ActivationIlgpuKernels.ReluBackward,
            ActivationKind.Tanh => ActivationIlgpuKernels.TanhBackward,
            ActivationKind.Sigmoid => ActivationIlgpuKernels.SigmoidBackward,
            _ => throw ActivationKinds.Unknown(kind, nameof(kind)),
        };
        Launch(kernel, count, View(y), View(dy), View(dx));
    }
}

/// <summary>Element-wise activations, one thread per element: y = f(x); backward dx += f'(x) * dy through y.
/// </summary>
internal static class ActivationIlgpuKernels
{
    public static void ReluForward(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = XMath.Max(x[i], 0f);

    public static void TanhForward(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = Tanh(x[i]);

    public static void SigmoidForward(Index1D i, ArrayView<float> x, ArrayView<float> y) =>
        y[i] = 1f / (1f + XMath.Exp(-x[i]));

    public static void ReluBackward(Index1D i, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx) =>
        dx[i] += y[i] > 0f ? dy[i] : 0f;

    public static void TanhBackward(Index1D i, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx)
    {
        var v = y[i];
        dx[i] += dy[i] * (1f - v * v);
    }

    public static void SigmoidBackward(Index1D i, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx)
    {
        var v = y[i];
        dx[i] += dy[i] * v * (1f - v);
    }

    // tanh through exp(-2|x|), which cannot overflow: the quotient form exp(2x) would give inf/inf = NaN for large x.
    private static float Tanh(float x)
    {
        var t = XMath.Exp(-2f * XMath.Abs(x));
        var r = (1f - t) / (1f + t);
        return x < 0f ? -r : r;
    }
}
