using GpuCnn.Kernels.Ops;
using ILGPU;
using ILGPU.Algorithms;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's optimizer updates.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void SgdUpdateCore(
        in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count)
    {
        // Without momentum there is no velocity buffer; the kernel then never touches the empty view.
        var sizes = new SgdSizes(s.LearningRate, s.Momentum, s.Dampening, s.WeightDecay, s.Nesterov ? 1 : 0,
            s.FirstStep ? 1 : 0, velocity is null || s.Momentum == 0f ? 0 : 1);
        Launch(OptimizersIlgpuKernels.Sgd, count, View(param), View(grad), ViewOrEmpty(velocity), sizes);
    }

    /// <inheritdoc />
    protected override void AdamUpdateCore(
        in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count)
    {
        // The bias corrections depend only on the step: computed here in double, as the CPU backend does.
        var correction1 = 1.0 - Math.Pow(s.Beta1, s.Step);
        var correction2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(s.Beta2, s.Step));
        var stepSize = (float)(s.LearningRate / correction1);
        Launch(OptimizersIlgpuKernels.Adam, count, View(param), View(grad), View(m), View(v),
            new AdamSizes(s.Beta1, s.Beta2, s.Epsilon, s.WeightDecay, stepSize, correction2Sqrt));
    }

    /// <inheritdoc />
    protected override void AdadeltaUpdateCore(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad,
        DeviceBuffer squareAvg, DeviceBuffer accDelta, int count) =>
        Launch(OptimizersIlgpuKernels.Adadelta, count, View(param), View(grad), View(squareAvg), View(accDelta),
            new AdadeltaSizes(s.LearningRate, s.Rho, s.Epsilon, s.WeightDecay));

    /// <inheritdoc />
    protected override void AdamWUpdateCore(
        in AdamWSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count)
    {
        // As Adam's, plus the decoupled decay's factor, computed in double as the CPU backend does.
        var correction1 = 1.0 - Math.Pow(s.Beta1, s.Step);
        var correction2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(s.Beta2, s.Step));
        var stepSize = (float)(s.LearningRate / correction1);
        var keep = (float)(1.0 - (double)s.LearningRate * s.WeightDecay);
        Launch(OptimizersIlgpuKernels.AdamW, count, View(param), View(grad), View(m), View(v),
            new AdamWSizes(s.Beta1, s.Beta2, s.Epsilon, keep, stepSize, correction2Sqrt));
    }

    /// <inheritdoc />
    protected override void RmsPropUpdateCore(in RmsPropSettings s, DeviceBuffer param, DeviceBuffer grad,
        DeviceBuffer squareAvg, DeviceBuffer? gradAvg, DeviceBuffer? momentumBuffer, int count) =>
        Launch(OptimizersIlgpuKernels.RmsProp, count, View(param), View(grad), View(squareAvg), ViewOrEmpty(gradAvg),
            ViewOrEmpty(momentumBuffer), new RmsPropSizes(s.LearningRate, s.Alpha, s.Epsilon, s.WeightDecay,
                s.Momentum, s.Centered ? 1 : 0));
}

/// <summary>SGD's scalars; the flags are ints (1 = on) so that the struct is plain data on every target.</summary>
internal readonly record struct SgdSizes(float LearningRate, float Momentum, float Dampening, float WeightDecay,
    int Nesterov, int FirstStep, int HasVelocity);

/// <summary>Adam's scalars, with the step's bias corrections folded in on the host.</summary>
internal readonly record struct AdamSizes(float Beta1, float Beta2, float Epsilon, float WeightDecay,
    float StepSize, float Correction2Sqrt);

/// <summary>Adadelta's scalars.</summary>
internal readonly record struct AdadeltaSizes(float LearningRate, float Rho, float Epsilon, float WeightDecay);

/// <summary>AdamW's scalars: Adam's, with the decoupled decay as the factor <c>Keep</c> = 1 - lr*weightDecay.
/// </summary>
internal readonly record struct AdamWSizes(float Beta1, float Beta2, float Epsilon, float Keep, float StepSize,
    float Correction2Sqrt);

/// <summary>RMSprop's scalars; Centered is an int (1 = on), as SGD's flags are.</summary>
internal readonly record struct RmsPropSizes(float LearningRate, float Alpha, float Epsilon, float WeightDecay,
    float Momentum, int Centered);

/// <summary>Parameter updates, one thread per parameter, in PyTorch's (and OptimizersCpu's) order of operations.
/// </summary>
internal static class OptimizersIlgpuKernels
{
    public static void Sgd(Index1D i, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> velocity,
        SgdSizes s)
    {
        var d = grad[i] + s.WeightDecay * param[i];
        if (s.HasVelocity != 0)
        {
            var buf = s.FirstStep != 0 ? d : s.Momentum * velocity[i] + (1f - s.Dampening) * d;
            velocity[i] = buf;
            d = s.Nesterov != 0 ? d + s.Momentum * buf : buf;
        }

        param[i] -= s.LearningRate * d;
    }

    public static void Adam(Index1D i, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> m1,
        ArrayView<float> m2, AdamSizes s)
    {
        var g = grad[i] + s.WeightDecay * param[i];
        var m = s.Beta1 * m1[i] + (1f - s.Beta1) * g;
        var v = s.Beta2 * m2[i] + (1f - s.Beta2) * g * g;
        m1[i] = m;
        m2[i] = v;
        param[i] -= s.StepSize * m / (XMath.Sqrt(v) / s.Correction2Sqrt + s.Epsilon);
    }

    public static void Adadelta(Index1D i, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> squareAvg,
        ArrayView<float> accDelta, AdadeltaSizes s)
    {
        var g = grad[i] + s.WeightDecay * param[i];
        var square = s.Rho * squareAvg[i] + (1f - s.Rho) * g * g;
        squareAvg[i] = square;
        var delta = XMath.Sqrt(accDelta[i] + s.Epsilon) / XMath.Sqrt(square + s.Epsilon) * g;
        accDelta[i] = s.Rho * accDelta[i] + (1f - s.Rho) * delta * delta;
        param[i] -= s.LearningRate * delta;
    }

    public static void AdamW(Index1D i, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> m1,
        ArrayView<float> m2, AdamWSizes s)
    {
        var p = param[i] * s.Keep;
        var g = grad[i];
        var m = s.Beta1 * m1[i] + (1f - s.Beta1) * g;
        var v = s.Beta2 * m2[i] + (1f - s.Beta2) * g * g;
        m1[i] = m;
        m2[i] = v;
        param[i] = p - s.StepSize * m / (XMath.Sqrt(v) / s.Correction2Sqrt + s.Epsilon);
    }

    // gradAvg is read only when centered, momentumBuffer only when momentum != 0: otherwise they are empty views.
    public static void RmsProp(Index1D i, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> squareAvg,
        ArrayView<float> gradAvg, ArrayView<float> momentumBuffer, RmsPropSizes s)
    {
        var g = grad[i] + s.WeightDecay * param[i];
        var square = s.Alpha * squareAvg[i] + (1f - s.Alpha) * g * g;
        squareAvg[i] = square;
        if (s.Centered != 0)
        {
            var mean = s.Alpha * gradAvg[i] + (1f - s.Alpha) * g;
            gradAvg[i] = mean;
            square = XMath.Max(square - mean * mean, 0f);
        }

        var avg = XMath.Sqrt(square) + s.Epsilon;
        if (s.Momentum != 0f)
        {
            var buf = s.Momentum * momentumBuffer[i] + g / avg;
            momentumBuffer[i] = buf;
            param[i] -= s.LearningRate * buf;
        }
        else
        {
            param[i] -= s.LearningRate * g / avg;
        }
    }
}
