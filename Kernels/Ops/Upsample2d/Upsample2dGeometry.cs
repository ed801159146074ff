namespace GpuCnn.Kernels.Ops;

/// <summary>
/// Shape of a nearest-neighbour 2-D upsampling by integer factors in NCHW layout: x:(N,C,H,W)
/// y:(N,C,H*ScaleH,W*ScaleW). Output pixel (oh, ow) reads input pixel (oh / ScaleH, ow / ScaleW), PyTorch's
/// floor(dst * in / out) for an integer scale.
/// </summary>
public readonly record struct Upsample2dGeometry(int N, int C, int H, int W, int ScaleH, int ScaleW)
{
    /// <summary>Output height.</summary>
    public int OutH => H * ScaleH;

    /// <summary>Output width.</summary>
    public int OutW => W * ScaleW;

    /// <summary>Elements of x.</summary>
    public int InputLength => N * C * H * W;

    /// <summary>Elements of y.</summary>
    public int OutputLength => N * C * OutH * OutW;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad field when the geometry is not valid.</summary>
    public void Validate()
    {
        if (N < 1 || C < 1 || H < 1 || W < 1)
        {
            throw new ArgumentException($"Upsample2d sizes must be positive: {this}.");
        }

        if (ScaleH < 1 || ScaleW < 1)
        {
            throw new ArgumentException($"Upsample2d scale factors must be positive integers: {this}.");
        }

        if ((long)N * C * H * ScaleH * W * ScaleW > int.MaxValue)
        {
            throw new ArgumentException($"Upsample2d output would exceed {int.MaxValue} elements: {this}.");
        }
    }
}
