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
            ActivationKind.Gelu => ActivationIlgpuKernels.GeluForward,
            ActivationKind.Silu => ActivationIlgpuKernels.SiluForward,
            _ => throw ActivationKinds.Unknown(kind, nameof(kind)),
        };
        Launch(kernel, count, View(x), View(y));
    }

    /// <inheritdoc />
    protected override void ActivationBackwardCore(
        ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count)
    {
        // ReLU, tanh and sigmoid write f' through the output y, GELU and SiLU through the input x: each kernel
        // takes the one it reads (ActivationKind says which).
        Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> kernel = kind switch
        {
            ActivationKind.Relu => ActivationIlgpuKernels.ReluBackward,
            ActivationKind.Tanh => ActivationIlgpuKernels.TanhBackward,
            ActivationKind.Sigmoid => ActivationIlgpuKernels.SigmoidBackward,
            ActivationKind.Gelu => ActivationIlgpuKernels.GeluBackward,
            ActivationKind.Silu => ActivationIlgpuKernels.SiluBackward,
            _ => throw ActivationKinds.Unknown(kind, nameof(kind)),
        };
        var through = kind is ActivationKind.Gelu or ActivationKind.Silu ? x : y;
        Launch(kernel, count, View(through), View(dy), View(dx));
    }
}

/// <summary>Element-wise activations, one thread per element: y = f(x); backward dx += f'(x) * dy, through y for
/// ReLU, tanh and sigmoid and through x for GELU and SiLU.</summary>
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

    public static void GeluForward(Index1D i, ArrayView<float> x, ArrayView<float> y)
    {
        var v = x[i];
        y[i] = v * NormalCdf(v);
    }

    public static void SiluForward(Index1D i, ArrayView<float> x, ArrayView<float> y)
    {
        var v = x[i];
        y[i] = v / (1f + XMath.Exp(-v));
    }

    // Phi(x) + x phi(x), phi(x) = exp(-x^2/2)/sqrt(2 pi).
    public static void GeluBackward(Index1D i, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx)
    {
        var u = x[i];
        dx[i] += dy[i] * (NormalCdf(u) + u * XMath.Exp(-0.5f * u * u) * 0.398942280401432678f);
    }

    public static void SiluBackward(Index1D i, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx)
    {
        var u = x[i];
        var s = 1f / (1f + XMath.Exp(-u));
        dx[i] += dy[i] * s * (1f + u * (1f - s));
    }

    // Phi(x) = erfc(-x/sqrt(2))/2 by the CPU kernel's fit (ActivationCpu.NormalCdf, whose remarks give the error
    // bounds): u P(u^2) below |u| = 1, and erfc(a) = t exp(R(t) - a^2) with t = 1/(1 + a/2) above, where the lower
    // tail stays relative instead of cancelling in 1 + erf.
    private static float NormalCdf(float x)
    {
        var u = x * 0.707106781186547524f;
        var a = XMath.Abs(u);
        if (a < 1f)
        {
            var s = u * u;
            var p = 7.853839634e-05f;
            p = p * s - 8.010187303e-04f;
            p = p * s + 5.188326817e-03f;
            p = p * s - 2.685381100e-02f;
            p = p * s + 1.128358543e-01f;
            p = p * s - 3.761262596e-01f;
            p = p * s + 1.128379107e+00f;
            return 0.5f + 0.5f * u * p;
        }

        var t = 1f / (1f + 0.5f * a);
        var r = -2.401984185e-01f;
        r = r * t + 6.438826323e-01f;
        r = r * t - 4.496560991e-01f;
        r = r * t - 6.607359648e-02f;
        r = r * t - 7.284056395e-02f;
        r = r * t + 7.166694105e-02f;
        r = r * t + 3.778179288e-01f;
        r = r * t + 9.996849895e-01f;
        r = r * t - 1.265498281e+00f;
        var lower = 0.5f * t * XMath.Exp(r - a * a); // erfc(a) / 2 = Phi(-|x|)
        return x > 0f ? 1f - lower : lower;
    }

    // tanh through exp(-2|x|), which cannot overflow: the quotient form exp(2x) would give inf/inf = NaN for large x.
    private static float Tanh(float x)
    {
        var t = XMath.Exp(-2f * XMath.Abs(x));
        var r = (1f - t) / (1f + t);
        return x < 0f ? -r : r;
    }
}
