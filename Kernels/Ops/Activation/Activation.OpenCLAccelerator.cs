using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's element-wise activations.
public sealed unsafe partial class OpenCLAccelerator
{
    /// <inheritdoc />
    protected override void ActivationForwardCore(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count) =>
        Elementwise(Call("activation_forward").Int(ActivationCode(kind)).Mem(x).Mem(y).Int(count), count);

    /// <inheritdoc />
    protected override void ActivationBackwardCore(
        ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        Elementwise(Call("activation_backward").Int(ActivationCode(kind)).Mem(x).Mem(y).Mem(dy).Mem(dx).Int(count),
            count);

    // The kind codes Activation.cl switches on; a kind without a code must fail here, not reach the device.
    private static int ActivationCode(ActivationKind kind) => kind switch
    {
        ActivationKind.Relu => 0,
        ActivationKind.Tanh => 1,
        ActivationKind.Sigmoid => 2,
        ActivationKind.Gelu => 3,
        ActivationKind.Silu => 4,
        _ => throw ActivationKinds.Unknown(kind, nameof(kind)),
    };
}
