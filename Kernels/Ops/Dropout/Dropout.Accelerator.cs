namespace GpuCnn.Kernels;

// The checked entry points of inverted dropout and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>
    /// Inverted dropout: mask[i] = 0 with probability <paramref name="p"/>, else 1/(1-p); y = x * mask.
    /// The mask is a pure function of (<paramref name="seed"/>, i), so a run is reproducible on any backend.
    /// </summary>
    public void DropoutForward(DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed)
    {
        if (!(p >= 0f && p < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
        }

        CheckRange(x, 0, count, nameof(x));
        CheckRange(mask, 0, count, nameof(mask));
        CheckRange(y, 0, count, nameof(y));
        DropoutForwardCore(x, mask, y, count, p, seed);
    }

    /// <summary>dx += dy * mask.</summary>
    public void DropoutBackward(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count)
    {
        CheckRange(mask, 0, count, nameof(mask));
        CheckRange(dy, 0, count, nameof(dy));
        CheckRange(dx, 0, count, nameof(dx));
        DropoutBackwardCore(mask, dy, dx, count);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void DropoutForwardCore(
        DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed);
    protected abstract void DropoutBackwardCore(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count);
#pragma warning restore CS1591
}
