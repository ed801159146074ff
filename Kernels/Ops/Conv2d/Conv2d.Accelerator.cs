using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels;

// The checked entry points of 2-d convolution and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>y = conv(x, w) + b. x:(N,C,H,W) w:(K,C/G,R,S) b:(K) or null y:(N,K,P,Q).</summary>
    public void Conv2dForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y)
    {
        g.Validate();
        CheckRange(x, 0, g.InputLength, nameof(x));
        CheckRange(w, 0, g.WeightLength, nameof(w));
        if (b is not null)
        {
            CheckRange(b, 0, g.K, nameof(b));
        }

        CheckRange(y, 0, g.OutputLength, nameof(y));
        Conv2dForwardCore(g, x, w, b, y);
    }

    /// <summary>dx += conv_transpose(dy, w). dy:(N,K,P,Q) w:(K,C/G,R,S) dx:(N,C,H,W).</summary>
    public void Conv2dBackwardData(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        g.Validate();
        CheckRange(dy, 0, g.OutputLength, nameof(dy));
        CheckRange(w, 0, g.WeightLength, nameof(w));
        CheckRange(dx, 0, g.InputLength, nameof(dx));
        Conv2dBackwardDataCore(g, dy, w, dx);
    }

    /// <summary>dw += correlation of x with dy; db += sum of dy over N, P, Q.
    /// x:(N,C,H,W) dy:(N,K,P,Q) dw:(K,C/G,R,S) db:(K) or null.</summary>
    public void Conv2dBackwardFilter(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        g.Validate();
        CheckRange(x, 0, g.InputLength, nameof(x));
        CheckRange(dy, 0, g.OutputLength, nameof(dy));
        CheckRange(dw, 0, g.WeightLength, nameof(dw));
        if (db is not null)
        {
            CheckRange(db, 0, g.K, nameof(db));
        }

        Conv2dBackwardFilterCore(g, x, dy, dw, db);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void Conv2dForwardCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y);
    protected abstract void Conv2dBackwardDataCore(
        in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx);
    protected abstract void Conv2dBackwardFilterCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db);
#pragma warning restore CS1591
}
