using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels;

// The checked entry points of 2-d padding and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>y = x padded as the geometry's mode says. x:(N,C,H,W) y:(N,C,OutH,OutW).</summary>
    public void Pad2dForward(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y)
    {
        g.Validate();
        CheckRange(x, 0, g.InputLength, nameof(x));
        CheckRange(y, 0, g.OutputLength, nameof(y));
        Pad2dForwardCore(g, x, y);
    }

    /// <summary>dx += the sum of dy over every output position that reads each input pixel (constant and zero
    /// borders read none).</summary>
    public void Pad2dBackward(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx)
    {
        g.Validate();
        CheckRange(dy, 0, g.OutputLength, nameof(dy));
        CheckRange(dx, 0, g.InputLength, nameof(dx));
        Pad2dBackwardCore(g, dy, dx);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void Pad2dForwardCore(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y);
    protected abstract void Pad2dBackwardCore(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx);
#pragma warning restore CS1591
}
