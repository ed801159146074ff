using GpuCnn.Kernels.Ops;
using ILGPU;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's batch normalisation (BatchNormIlgpuKernels): training forward and backward a group per
// channel with a shared-memory tree, inference one thread per element.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void BatchNormForwardTrainingCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean,
        DeviceBuffer runningVar, float momentum, float eps) =>
        LaunchGrouped(BatchNormIlgpuKernels.ForwardTraining, PerChannel(g), View(x), ViewOrEmpty(gamma),
            ViewOrEmpty(beta), View(y), View(saveMean), View(saveInvStd), View(runningMean), View(runningVar),
            new BatchNormSizes(g, momentum, eps, hasGamma: gamma is not null, hasBeta: beta is not null));

    /// <inheritdoc />
    protected override void BatchNormForwardInferenceCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps, DeviceBuffer y) =>
        Launch(BatchNormIlgpuKernels.ForwardInference, g.Length, View(x), ViewOrEmpty(gamma), ViewOrEmpty(beta),
            View(runningMean), View(runningVar), View(y),
            new BatchNormSizes(g, eps: eps, hasGamma: gamma is not null, hasBeta: beta is not null));

    /// <inheritdoc />
    protected override void BatchNormBackwardCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
        DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma,
        DeviceBuffer? dbeta) =>
        LaunchGrouped(BatchNormIlgpuKernels.Backward, PerChannel(g), View(x), View(dy), ViewOrEmpty(gamma),
            View(saveMean), View(saveInvStd), ViewOrEmpty(dx), ViewOrEmpty(dgamma), ViewOrEmpty(dbeta),
            new BatchNormSizes(g, hasGamma: gamma is not null, hasDx: dx is not null, hasDgamma: dgamma is not null,
                hasDbeta: dbeta is not null));

    // One group per channel.
    private static KernelConfig PerChannel(in BatchNormGeometry g) => new(g.C, BatchNormIlgpuKernels.GroupSize);
}
