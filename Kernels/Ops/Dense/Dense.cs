namespace GpuCnn.Kernels;

// The checked entry points of GEMM and the bias addition of dense and convolution layers
// and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>
    /// C = alpha * op(A) * op(B) + beta * C, row-major, with op(A):(m,k), op(B):(k,n), C:(m,n). A transposed
    /// operand is stored as its transpose ((k,m) for A, (n,k) for B). beta = 0 overwrites C.
    /// </summary>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b,
        float beta, DeviceBuffer c)
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentException($"GEMM sizes must not be negative: m={m} n={n} k={k}.");
        }

        CheckRange(a, 0, m * k, nameof(a));
        CheckRange(b, 0, k * n, nameof(b));
        CheckRange(c, 0, m * n, nameof(c));
        GemmCore(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    /// <summary>y[o, c, i] += bias[c] for y:(outer, channels, inner) — a dense layer has inner = 1.</summary>
    public void BiasAddForward(DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner)
    {
        CheckRange(y, 0, outer * channels * inner, nameof(y));
        CheckRange(bias, 0, channels, nameof(bias));
        BiasAddForwardCore(y, bias, outer, channels, inner);
    }

    /// <summary>db[c] += sum of dy[o, c, i] over o and i.</summary>
    public void BiasAddBackward(DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner)
    {
        CheckRange(dy, 0, outer * channels * inner, nameof(dy));
        CheckRange(db, 0, channels, nameof(db));
        BiasAddBackwardCore(dy, db, outer, channels, inner);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a,
        DeviceBuffer b, float beta, DeviceBuffer c);
    protected abstract void BiasAddForwardCore(DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner);
    protected abstract void BiasAddBackwardCore(DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner);
#pragma warning restore CS1591
}
