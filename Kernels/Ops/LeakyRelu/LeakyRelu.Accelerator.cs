namespace GpuCnn.Kernels;

// The checked entry points of the leaky ReLU and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>y = x where x &gt; 0, else <paramref name="negativeSlope"/> * x, for the first
    /// <paramref name="count"/> elements (PyTorch's <c>leaky_relu</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is not finite.</exception>
    public void LeakyReluForward(DeviceBuffer x, DeviceBuffer y, int count, float negativeSlope)
    {
        CheckNegativeSlope(negativeSlope);
        CheckRange(x, 0, count, nameof(x));
        CheckRange(y, 0, count, nameof(y));
        LeakyReluForwardCore(x, y, count, negativeSlope);
    }

    /// <summary>dx += dy where x &gt; 0, else <paramref name="negativeSlope"/> * dy. At x = 0 the slope applies, as
    /// in PyTorch's <c>leaky_relu_backward</c>, which tests x &gt; 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is not finite.</exception>
    public void LeakyReluBackward(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, int count, float negativeSlope)
    {
        CheckNegativeSlope(negativeSlope);
        CheckRange(x, 0, count, nameof(x));
        CheckRange(dy, 0, count, nameof(dy));
        CheckRange(dx, 0, count, nameof(dx));
        LeakyReluBackwardCore(x, dy, dx, count, negativeSlope);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void LeakyReluForwardCore(DeviceBuffer x, DeviceBuffer y, int count, float negativeSlope);
    protected abstract void LeakyReluBackwardCore(
        DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, int count, float negativeSlope);
#pragma warning restore CS1591

    private static void CheckNegativeSlope(float negativeSlope)
    {
        if (!float.IsFinite(negativeSlope))
        {
            throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope,
                "The leaky ReLU's negative slope must be a finite number (PyTorch's default is 0.01).");
        }
    }
}
