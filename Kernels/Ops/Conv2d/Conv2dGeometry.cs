namespace GpuCnn.Kernels.Ops;

/// <summary>
/// Shape of one 2-D convolution in NCHW layout:
/// x:(N,C,H,W) w:(K,C/Groups,R,S) b:(K) y:(N,K,P,Q) with
/// P = floor((H + PadTop + PadBottom - DilationH*(R-1) - 1) / StrideH) + 1, and Q likewise.
/// Padding may be asymmetric (Keras "same" with an even kernel pads one more at the bottom and right).
/// </summary>
public readonly record struct Conv2dGeometry(
    int N, int C, int H, int W, int K, int R, int S,
    int StrideH = 1, int StrideW = 1,
    int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    /// <summary>Output height.</summary>
    public int P => OutputSize(H, PadTop + PadBottom, R, StrideH, DilationH);

    /// <summary>Output width.</summary>
    public int Q => OutputSize(W, PadLeft + PadRight, S, StrideW, DilationW);

    /// <summary>Input channels per group.</summary>
    public int CPerGroup => C / Groups;

    /// <summary>Output channels per group.</summary>
    public int KPerGroup => K / Groups;

    /// <summary>Elements of x.</summary>
    public int InputLength => N * C * H * W;

    /// <summary>Elements of w.</summary>
    public int WeightLength => K * CPerGroup * R * S;

    /// <summary>Elements of y.</summary>
    public int OutputLength => N * K * P * Q;

    /// <summary>Multiply-adds of the forward pass for the whole batch.</summary>
    public long MultiplyAdds => (long)N * K * P * Q * CPerGroup * R * S;

    /// <summary>True when the im2col matrix equals the input (1x1 kernel, stride 1, no padding).</summary>
    internal bool IsPointwise => R == 1 && S == 1 && StrideH == 1 && StrideW == 1 && DilationH == 1 &&
        DilationW == 1 && PadTop == 0 && PadLeft == 0 && PadBottom == 0 && PadRight == 0;

    /// <summary>The seeds' formula floor((N + 2P - F) / S) + 1, with dilation and total padding.</summary>
    public static int OutputSize(int input, int totalPadding, int kernel, int stride, int dilation = 1) =>
        FloorDiv(input + totalPadding - dilation * (kernel - 1) - 1, stride) + 1;

    /// <summary>Division rounding toward negative infinity: C#'s '/' truncates, and (-1)/2 must be -1 here so
    /// that a kernel larger than the padded input yields an empty output instead of one pixel.</summary>
    internal static int FloorDiv(int numerator, int denominator)
    {
        var quotient = numerator / denominator;
        return quotient * denominator > numerator ? quotient - 1 : quotient;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad field when the geometry is not valid.</summary>
    public void Validate()
    {
        if (N < 1 || C < 1 || H < 1 || W < 1 || K < 1 || R < 1 || S < 1)
        {
            throw new ArgumentException($"Conv2d sizes must be positive: {this}.");
        }

        if (StrideH < 1 || StrideW < 1 || DilationH < 1 || DilationW < 1 || Groups < 1)
        {
            throw new ArgumentException($"Conv2d stride, dilation and groups must be at least 1: {this}.");
        }

        if (PadTop < 0 || PadLeft < 0 || PadBottom < 0 || PadRight < 0)
        {
            throw new ArgumentException($"Conv2d padding must not be negative: {this}.");
        }

        if (C % Groups != 0 || K % Groups != 0)
        {
            throw new ArgumentException($"Conv2d channels C={C} and K={K} must both divide by groups={Groups}.");
        }

        if (P < 1 || Q < 1)
        {
            throw new ArgumentException(
                $"Conv2d output would be empty: input {H}x{W}, kernel {R}x{S}, stride {StrideH}x{StrideW}, " +
                $"padding ({PadTop},{PadLeft},{PadBottom},{PadRight}), dilation {DilationH}x{DilationW} gives " +
                $"{P}x{Q} from floor((N + P_total - D*(F-1) - 1)/S) + 1.");
        }
    }
}
