namespace GpuCnn.Kernels.Ops;

/// <summary>
/// Shape of a 2-D max or average pooling in NCHW layout: x:(N,C,H,W) y:(N,C,P,Q) with
/// P = floor((H + 2*PadH - KernelH) / StrideH) + 1 (PyTorch's floor mode) and Q likewise. In ceil mode the division
/// rounds up, so a last window may hang over the bottom or right edge (it is clipped there), but, as in PyTorch, a
/// window must start inside the input or its top or left padding. Average pooling divides by the window clipped to
/// the padded input when <see cref="CountIncludePad"/> is true (PyTorch's default count_include_pad=True), by the
/// number of its cells inside the unpadded input when false; max pooling ignores the flag.
/// </summary>
public readonly record struct Pool2dGeometry(
    int N, int C, int H, int W, int KernelH, int KernelW, int StrideH, int StrideW, int PadH = 0, int PadW = 0,
    bool CeilMode = false, bool CountIncludePad = true)
{
    /// <summary>Output height.</summary>
    public int P => OutputSize(H, PadH, KernelH, StrideH, CeilMode);

    /// <summary>Output width.</summary>
    public int Q => OutputSize(W, PadW, KernelW, StrideW, CeilMode);

    /// <summary>Output extent of one axis, in floor or ceil mode.</summary>
    public static int OutputSize(int input, int pad, int kernel, int stride, bool ceilMode)
    {
        var span = input + 2 * pad - kernel;
        if (!ceilMode)
        {
            return Conv2dGeometry.FloorDiv(span, stride) + 1;
        }

        var count = -Conv2dGeometry.FloorDiv(-span, stride) + 1;
        // PyTorch drops a last window that would start in the bottom or right padding.
        return count > 1 && (count - 1) * stride >= input + pad ? count - 1 : count;
    }

    /// <summary>Elements of x.</summary>
    public int InputLength => N * C * H * W;

    /// <summary>Elements of y.</summary>
    public int OutputLength => N * C * P * Q;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad field when the geometry is not valid.</summary>
    public void Validate()
    {
        if (N < 1 || C < 1 || H < 1 || W < 1 || KernelH < 1 || KernelW < 1 || StrideH < 1 || StrideW < 1)
        {
            throw new ArgumentException($"Pool2d sizes and strides must be positive: {this}.");
        }

        if (PadH < 0 || PadW < 0 || PadH * 2 > KernelH || PadW * 2 > KernelW)
        {
            throw new ArgumentException($"Pool2d padding must be between 0 and half the kernel: {this}.");
        }

        if (P < 1 || Q < 1)
        {
            throw new ArgumentException(
                $"Pool2d output would be empty: input {H}x{W}, kernel {KernelH}x{KernelW}, stride " +
                $"{StrideH}x{StrideW}, padding {PadH}x{PadW} gives {P}x{Q} from " +
                $"{(CeilMode ? "ceil" : "floor")}((N + 2P - F)/S) + 1.");
        }
    }
}
