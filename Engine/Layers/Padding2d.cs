namespace GpuCnn.Engine.Nodes;

/// <summary>
/// How much a convolution pads its input: explicit amounts (PyTorch), Keras' <c>valid</c> (none) and
/// <c>same</c> (output = ceil(input / stride), the odd pixel of padding going to the bottom and right), or
/// <c>full</c> (the effective kernel less one on every side, so every window that touches the input counts).
/// What the padding holds is the convolution's <see cref="GpuCnn.Kernels.Ops.PaddingMode"/>.
/// </summary>
public readonly record struct Padding2d
{
    private Padding2d(string mode, int top, int left, int bottom, int right)
    {
        Mode = mode;
        Top = top;
        Left = left;
        Bottom = bottom;
        Right = right;
    }

    /// <summary>"explicit", "valid", "same" or "full".</summary>
    public string Mode { get; }

    /// <summary>Explicit top padding.</summary>
    public int Top { get; }

    /// <summary>Explicit left padding.</summary>
    public int Left { get; }

    /// <summary>Explicit bottom padding.</summary>
    public int Bottom { get; }

    /// <summary>Explicit right padding.</summary>
    public int Right { get; }

    /// <summary>No padding.</summary>
    public static Padding2d Valid => new("valid", 0, 0, 0, 0);

    /// <summary>Keras' "same".</summary>
    public static Padding2d Same => new("same", 0, 0, 0, 0);

    /// <summary>Full convolution: dilation * (kernel - 1) on every side.</summary>
    public static Padding2d Full => new("full", 0, 0, 0, 0);

    /// <summary>The same amount on all four sides.</summary>
    public static Padding2d Symmetric(int amount) => Explicit(amount, amount, amount, amount);

    /// <summary>Explicit amounts per side.</summary>
    public static Padding2d Explicit(int top, int left, int bottom, int right)
    {
        if (top < 0 || left < 0 || bottom < 0 || right < 0)
        {
            throw new ArgumentException($"Padding must not be negative: ({top}, {left}, {bottom}, {right}).");
        }

        return new Padding2d("explicit", top, left, bottom, right);
    }

    /// <summary>Parses "valid", "same" or an integer.</summary>
    public static Padding2d Parse(string text) => text switch
    {
        "valid" => Valid,
        "same" => Same,
        "full" => Full,
        _ when int.TryParse(text, out var p) => Symmetric(p),
        _ => throw new ArgumentException($"Unknown padding '{text}': use valid, same, full or a number."),
    };

    /// <summary>Begin and end padding along one axis.</summary>
    public (int Begin, int End) Resolve(int input, int kernel, int stride, int dilation, bool vertical)
    {
        if (Mode == "same")
        {
            // Keras/TensorFlow: out = ceil(in / stride); the total is split with the extra pixel at the end.
            var output = (input + stride - 1) / stride;
            var effective = dilation * (kernel - 1) + 1;
            var total = Math.Max(0, (output - 1) * stride + effective - input);
            return (total / 2, total - total / 2);
        }

        if (Mode == "full")
        {
            var side = dilation * (kernel - 1);
            return (side, side);
        }

        return vertical ? (Top, Bottom) : (Left, Right);
    }

    /// <inheritdoc />
    public override string ToString() => Mode switch
    {
        "explicit" when Top == Left && Top == Bottom && Top == Right => $"pad {Top}",
        "explicit" => $"pad ({Top},{Left},{Bottom},{Right})",
        _ => Mode,
    };
}
