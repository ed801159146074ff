using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's optimizer updates.
public sealed unsafe partial class OpenCLAccelerator
{
    /// <inheritdoc />
    protected override void SgdUpdateCore(
        in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count) =>
        Elementwise(Call("sgd_update").Mem(param).Mem(grad).Mem(velocity).Int(count).Float(s.LearningRate)
            .Float(s.Momentum).Float(s.Dampening).Float(s.WeightDecay).Int(s.Nesterov ? 1 : 0)
            .Int(s.FirstStep ? 1 : 0), count);

    /// <inheritdoc />
    protected override void AdamUpdateCore(
        in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count)
    {
        // The bias corrections depend only on the step: computed here in double, as the CPU backend does.
        var correction1 = 1.0 - Math.Pow(s.Beta1, s.Step);
        var correction2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(s.Beta2, s.Step));
        var stepSize = (float)(s.LearningRate / correction1);
        Elementwise(Call("adam_update").Mem(param).Mem(grad).Mem(m).Mem(v).Int(count).Float(s.Beta1)
            .Float(s.Beta2).Float(s.Epsilon).Float(s.WeightDecay).Float(stepSize).Float(correction2Sqrt), count);
    }

    /// <inheritdoc />
    protected override void AdadeltaUpdateCore(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad,
        DeviceBuffer squareAvg, DeviceBuffer accDelta, int count) =>
        Elementwise(Call("adadelta_update").Mem(param).Mem(grad).Mem(squareAvg).Mem(accDelta).Int(count)
            .Float(s.LearningRate).Float(s.Rho).Float(s.Epsilon).Float(s.WeightDecay), count);

    /// <inheritdoc />
    protected override void AdamWUpdateCore(
        in AdamWSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count)
    {
        // As Adam's, plus the decoupled decay's factor, computed in double as the CPU backend does.
        var correction1 = 1.0 - Math.Pow(s.Beta1, s.Step);
        var correction2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(s.Beta2, s.Step));
        var stepSize = (float)(s.LearningRate / correction1);
        var keep = (float)(1.0 - (double)s.LearningRate * s.WeightDecay);
        Elementwise(Call("adamw_update").Mem(param).Mem(grad).Mem(m).Mem(v).Int(count).Float(s.Beta1)
            .Float(s.Beta2).Float(s.Epsilon).Float(keep).Float(stepSize).Float(correction2Sqrt), count);
    }

    /// <inheritdoc />
    protected override void RmsPropUpdateCore(in RmsPropSettings s, DeviceBuffer param, DeviceBuffer grad,
        DeviceBuffer squareAvg, DeviceBuffer? gradAvg, DeviceBuffer? momentumBuffer, int count) =>
        Elementwise(Call("rmsprop_update").Mem(param).Mem(grad).Mem(squareAvg).Mem(gradAvg).Mem(momentumBuffer)
            .Int(count).Float(s.LearningRate).Float(s.Alpha).Float(s.Epsilon).Float(s.WeightDecay).Float(s.Momentum)
            .Int(s.Centered ? 1 : 0), count);
}
