using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's batch normalisation.
public sealed unsafe partial class CpuAccelerator
{
    private BatchNormCpu? batchNorm;

    // Made on first use, so the op needs no line in the constructor; an accelerator that never runs it holds none.
    private BatchNormCpu BatchNormKernel => batchNorm ??= new BatchNormCpu(workers);

    /// <inheritdoc />
    protected override void BatchNormForwardTrainingCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean,
        DeviceBuffer runningVar, float momentum, float eps) =>
        BatchNormKernel.ForwardTraining(g, Ptr(x), PtrOrNull(gamma), PtrOrNull(beta), Ptr(y), Ptr(saveMean),
            Ptr(saveInvStd), Ptr(runningMean), Ptr(runningVar), momentum, eps);

    /// <inheritdoc />
    protected override void BatchNormForwardInferenceCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps, DeviceBuffer y) =>
        BatchNormKernel.ForwardInference(g, Ptr(x), PtrOrNull(gamma), PtrOrNull(beta), Ptr(runningMean),
            Ptr(runningVar), eps, Ptr(y));

    /// <inheritdoc />
    protected override void BatchNormBackwardCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
        DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma,
        DeviceBuffer? dbeta) =>
        BatchNormKernel.Backward(g, Ptr(x), Ptr(dy), PtrOrNull(gamma), Ptr(saveMean), Ptr(saveInvStd), PtrOrNull(dx),
            PtrOrNull(dgamma), PtrOrNull(dbeta));
}
