namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's inverted dropout.
public sealed unsafe partial class OpenCLAccelerator
{
    /// <inheritdoc />
    protected override void DropoutForwardCore(
        DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed) =>
        Elementwise(Call("dropout_forward").Mem(x).Mem(mask).Mem(y).Int(count).Float(p).Float(1f / (1f - p))
            .UInt((uint)seed).UInt((uint)(seed >> 32)), count);

    /// <inheritdoc />
    protected override void DropoutBackwardCore(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        Elementwise(Call("dropout_backward").Mem(mask).Mem(dy).Mem(dx).Int(count), count);
}
