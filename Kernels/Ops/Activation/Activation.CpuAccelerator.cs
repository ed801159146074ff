using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's element-wise activations.
public sealed unsafe partial class CpuAccelerator
{
    private ChunkJob<ActivationOperands>? activationJob;

    private ChunkJob<ActivationOperands> ActivationJob => activationJob ??= new(workers);

    /// <inheritdoc />
    protected override void ActivationForwardCore(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count) =>
        ActivationCpu.Forward(ActivationJob, kind, Ptr(x), Ptr(y), count);

    /// <inheritdoc />
    protected override void ActivationBackwardCore(
        ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        ActivationCpu.Backward(ActivationJob, kind, Ptr(x), Ptr(y), Ptr(dy), Ptr(dx), count);
}
