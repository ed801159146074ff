using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's element-wise activations.
public sealed unsafe partial class CpuAccelerator
{
    /// <inheritdoc />
    protected override void ActivationForwardCore(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count) =>
        ActivationCpu.Forward(chunk, kind, Ptr(x), Ptr(y), count);

    /// <inheritdoc />
    protected override void ActivationBackwardCore(
        ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        ActivationCpu.Backward(chunk, kind, Ptr(x), Ptr(y), Ptr(dy), Ptr(dx), count);
}
