using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels;

// The checked entry points of nearest-neighbour 2-d upsampling and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>y[oh, ow] = x[oh / ScaleH, ow / ScaleW]. x:(N,C,H,W) y:(N,C,H*ScaleH,W*ScaleW).</summary>
    public void Upsample2dForward(in Upsample2dGeometry g, DeviceBuffer x, DeviceBuffer y)
    {
        g.Validate();
        CheckRange(x, 0, g.InputLength, nameof(x));
        CheckRange(y, 0, g.OutputLength, nameof(y));
        Upsample2dForwardCore(g, x, y);
    }

    /// <summary>dx += the sum of dy over each input pixel's ScaleH x ScaleW block.</summary>
    public void Upsample2dBackward(in Upsample2dGeometry g, DeviceBuffer dy, DeviceBuffer dx)
    {
        g.Validate();
        CheckRange(dy, 0, g.OutputLength, nameof(dy));
        CheckRange(dx, 0, g.InputLength, nameof(dx));
        Upsample2dBackwardCore(g, dy, dx);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void Upsample2dForwardCore(in Upsample2dGeometry g, DeviceBuffer x, DeviceBuffer y);
    protected abstract void Upsample2dBackwardCore(in Upsample2dGeometry g, DeviceBuffer dy, DeviceBuffer dx);
#pragma warning restore CS1591
}
