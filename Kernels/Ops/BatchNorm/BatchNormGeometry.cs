namespace GpuCnn.Kernels.Ops;

/// <summary>
/// Shape of a batch normalisation over channels in NCHW layout: x and y are (N, C, Inner) with Inner = H*W; the
/// statistics of channel c run over N*Inner values. Per-channel tensors (gamma, beta, means, variances) hold C.
/// </summary>
public readonly record struct BatchNormGeometry(int N, int C, int Inner)
{
    /// <summary>Elements of x and y.</summary>
    public int Length => N * C * Inner;

    /// <summary>Values each channel's statistics run over.</summary>
    public int PerChannel => N * Inner;

    /// <summary>Throws <see cref="ArgumentException"/> when a size is not positive.</summary>
    public void Validate()
    {
        if (N < 1 || C < 1 || Inner < 1)
        {
            throw new ArgumentException($"BatchNorm sizes must be positive: {this}.");
        }
    }
}
