using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels;

// The checked entry points of local response normalisation and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>Local response normalisation (see <see cref="LrnGeometry"/>); scale keeps
    /// K + Alpha/Size * (window sum of squares) per element for backward.</summary>
    public void LrnForward(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale)
    {
        g.Validate();
        CheckRange(x, 0, g.Length, nameof(x));
        CheckRange(y, 0, g.Length, nameof(y));
        CheckRange(scale, 0, g.Length, nameof(scale));
        LrnForwardCore(g, x, y, scale);
    }

    /// <summary>dx += the gradient of local response normalisation, from x, y, the saved scale and dy.</summary>
    public void LrnBackward(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale, DeviceBuffer dy,
        DeviceBuffer dx)
    {
        g.Validate();
        CheckRange(x, 0, g.Length, nameof(x));
        CheckRange(y, 0, g.Length, nameof(y));
        CheckRange(scale, 0, g.Length, nameof(scale));
        CheckRange(dy, 0, g.Length, nameof(dy));
        CheckRange(dx, 0, g.Length, nameof(dx));
        LrnBackwardCore(g, x, y, scale, dy, dx);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void LrnForwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale);
    protected abstract void LrnBackwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale,
        DeviceBuffer dy, DeviceBuffer dx);
#pragma warning restore CS1591
}
