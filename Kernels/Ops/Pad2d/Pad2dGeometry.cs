namespace GpuCnn.Kernels.Ops;

/// <summary>
/// Explicit 2-D padding of x:(N,C,H,W) into y:(N,C,H+Top+Bottom,W+Left+Right) filled as <see cref="Mode"/> says;
/// <see cref="Value"/> is the fill of <see cref="PaddingMode.Constant"/>.
/// </summary>
public readonly record struct Pad2dGeometry(
    int N, int C, int H, int W, int Top, int Left, int Bottom, int Right, PaddingMode Mode, float Value = 0f)
{
    /// <summary>Output height.</summary>
    public int OutH => H + Top + Bottom;

    /// <summary>Output width.</summary>
    public int OutW => W + Left + Right;

    /// <summary>Elements of x.</summary>
    public int InputLength => N * C * H * W;

    /// <summary>Elements of y.</summary>
    public int OutputLength => N * C * OutH * OutW;

    /// <summary>Throws <see cref="ArgumentException"/> naming what is wrong.</summary>
    public void Validate()
    {
        if (N < 1 || C < 1 || H < 1 || W < 1)
        {
            throw new ArgumentException($"Pad2d sizes must be positive: {this}.");
        }

        if (Top < 0 || Left < 0 || Bottom < 0 || Right < 0)
        {
            throw new ArgumentException($"Pad2d amounts must not be negative: {this}.");
        }

        var (limitH, limitW, rule) = Mode switch
        {
            PaddingMode.Reflect => (H - 1, W - 1, "below the input size"),
            PaddingMode.Symmetric or PaddingMode.Circular => (H, W, "at most the input size"),
            _ => (int.MaxValue, int.MaxValue, ""),
        };
        if (Math.Max(Top, Bottom) > limitH || Math.Max(Left, Right) > limitW)
        {
            throw new ArgumentException($"{Mode} padding of ({Top}, {Left}, {Bottom}, {Right}) on a {H}x{W} " +
                $"input: each amount must be {rule}.");
        }
    }
}
