using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels;

// The checked entry points of the optimizer updates and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>One SGD update of <paramref name="count"/> parameters; velocity is used when momentum &gt; 0.</summary>
    public void SgdUpdate(in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count)
    {
        CheckRange(param, 0, count, nameof(param));
        CheckRange(grad, 0, count, nameof(grad));
        if (s.Momentum != 0f)
        {
            ArgumentNullException.ThrowIfNull(velocity);
            CheckRange(velocity, 0, count, nameof(velocity));
        }

        SgdUpdateCore(s, param, grad, velocity, count);
    }

    /// <summary>One Adam update with first and second moment buffers m and v.</summary>
    public void AdamUpdate(in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m,
        DeviceBuffer v, int count)
    {
        if (s.Step < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(s), s.Step, "Adam's step counts from 1.");
        }

        CheckRange(param, 0, count, nameof(param));
        CheckRange(grad, 0, count, nameof(grad));
        CheckRange(m, 0, count, nameof(m));
        CheckRange(v, 0, count, nameof(v));
        AdamUpdateCore(s, param, grad, m, v, count);
    }

    /// <summary>One Adadelta update with the running averages of squared gradients and squared updates.</summary>
    public void AdadeltaUpdate(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg,
        DeviceBuffer accDelta, int count)
    {
        CheckRange(param, 0, count, nameof(param));
        CheckRange(grad, 0, count, nameof(grad));
        CheckRange(squareAvg, 0, count, nameof(squareAvg));
        CheckRange(accDelta, 0, count, nameof(accDelta));
        AdadeltaUpdateCore(s, param, grad, squareAvg, accDelta, count);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void SgdUpdateCore(
        in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count);
    protected abstract void AdamUpdateCore(
        in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count);
    protected abstract void AdadeltaUpdateCore(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad,
        DeviceBuffer squareAvg, DeviceBuffer accDelta, int count);
#pragma warning restore CS1591
}
