using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's batch normalisation.
public sealed unsafe partial class OpenCLAccelerator
{
    /// <inheritdoc />
    protected override void BatchNormForwardTrainingCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean,
        DeviceBuffer runningVar, float momentum, float eps)
    {
        var wg = program.ReduceWorkGroup;
        Call("batch_norm_forward_training").Mem(x).Mem(gamma).Int(gamma is null ? 0 : 1).Mem(beta)
            .Int(beta is null ? 0 : 1).Mem(y).Mem(saveMean).Mem(saveInvStd).Mem(runningMean).Mem(runningVar)
            .Ints(g.N, g.C, g.Inner).Float(momentum).Float(eps).Launch(queue, [(long)g.C * wg], [wg]);
    }

    /// <inheritdoc />
    protected override void BatchNormForwardInferenceCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps, DeviceBuffer y) =>
        Elementwise(Call("batch_norm_forward_inference").Mem(x).Mem(gamma).Int(gamma is null ? 0 : 1).Mem(beta)
            .Int(beta is null ? 0 : 1).Mem(runningMean).Mem(runningVar).Mem(y).Int(g.C).Int(g.Inner).Float(eps)
            .Int(g.Length), g.Length);

    /// <inheritdoc />
    protected override void BatchNormBackwardCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
        DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma,
        DeviceBuffer? dbeta)
    {
        var wg = program.ReduceWorkGroup;
        Call("batch_norm_backward").Mem(x).Mem(dy).Mem(gamma).Int(gamma is null ? 0 : 1).Mem(saveMean)
            .Mem(saveInvStd).Mem(dx).Int(dx is null ? 0 : 1).Mem(dgamma).Int(dgamma is null ? 0 : 1).Mem(dbeta)
            .Int(dbeta is null ? 0 : 1).Ints(g.N, g.C, g.Inner).Launch(queue, [(long)g.C * wg], [wg]);
    }
}
