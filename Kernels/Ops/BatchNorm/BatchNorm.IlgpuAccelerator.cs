using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's batch normalisation: its kernels are not written yet, so these hooks refuse (see IlgpuPendingOps
// in the tests, which keeps the op off the ILGPU test row until they land).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void BatchNormForwardTrainingCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean,
        DeviceBuffer runningVar, float momentum, float eps) =>
        throw Pending("BatchNorm forward (training)");

    /// <inheritdoc />
    protected override void BatchNormForwardInferenceCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps, DeviceBuffer y) =>
        throw Pending("BatchNorm forward (inference)");

    /// <inheritdoc />
    protected override void BatchNormBackwardCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
        DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma,
        DeviceBuffer? dbeta) =>
        throw Pending("BatchNorm backward");
}
