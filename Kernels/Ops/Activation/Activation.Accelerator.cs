using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels;

// The checked entry points of element-wise activations and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>y = f(x) for the first <paramref name="count"/> elements.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not an
    /// <see cref="ActivationKind"/> value.</exception>
    public void ActivationForward(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count)
    {
        ActivationKinds.Check(kind, nameof(kind));
        CheckRange(x, 0, count, nameof(x));
        CheckRange(y, 0, count, nameof(y));
        ActivationForwardCore(kind, x, y, count);
    }

    /// <summary>dx += f'(x) * dy for the first <paramref name="count"/> elements. Both the forward input x and
    /// its output y = f(x) are passed, so each function's derivative reads whichever is cheaper or exact.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not an
    /// <see cref="ActivationKind"/> value.</exception>
    public void ActivationBackward(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
        DeviceBuffer dx, int count)
    {
        ActivationKinds.Check(kind, nameof(kind));
        CheckRange(x, 0, count, nameof(x));
        CheckRange(y, 0, count, nameof(y));
        CheckRange(dy, 0, count, nameof(dy));
        CheckRange(dx, 0, count, nameof(dx));
        ActivationBackwardCore(kind, x, y, dy, dx, count);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void ActivationForwardCore(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count);
    protected abstract void ActivationBackwardCore(
        ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count);
#pragma warning restore CS1591
}
