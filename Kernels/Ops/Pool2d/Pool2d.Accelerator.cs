using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels;

// The checked entry points of max and average 2-d pooling and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>y = max over each window of x (padding counts as -infinity). x:(N,C,H,W) y:(N,C,P,Q).</summary>
    public void MaxPool2dForward(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y)
    {
        CheckPool(g, x, y);
        MaxPool2dForwardCore(g, x, y);
    }

    /// <summary>dx += dy routed to the first maximum of each window (recomputed from x).</summary>
    public void MaxPool2dBackward(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx)
    {
        CheckPool(g, x, dy);
        CheckRange(dx, 0, g.InputLength, nameof(dx));
        MaxPool2dBackwardCore(g, x, dy, dx);
    }

    /// <summary>y = mean over each window of x, padding counted as zeros in the divisor (PyTorch's default).</summary>
    public void AvgPool2dForward(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y)
    {
        CheckPool(g, x, y);
        AvgPool2dForwardCore(g, x, y);
    }

    /// <summary>dx += dy spread evenly over each window.</summary>
    public void AvgPool2dBackward(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx)
    {
        g.Validate();
        CheckRange(dy, 0, g.OutputLength, nameof(dy));
        CheckRange(dx, 0, g.InputLength, nameof(dx));
        AvgPool2dBackwardCore(g, dy, dx);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void MaxPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y);
    protected abstract void MaxPool2dBackwardCore(
        in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx);
    protected abstract void AvgPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y);
    protected abstract void AvgPool2dBackwardCore(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx);
#pragma warning restore CS1591

    private void CheckPool(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y)
    {
        g.Validate();
        CheckRange(x, 0, g.InputLength, nameof(x));
        CheckRange(y, 0, g.OutputLength, nameof(y));
    }
}
