namespace GpuCnn.Kernels.Ops;

/// <summary>
/// Local response normalisation across channels (PyTorch's LocalResponseNorm): x and y are (N, C, Inner) and
/// y[c] = x[c] / (K + Alpha/Size * sum of x[c']^2 over c' in [c - Size/2, c + (Size-1)/2])^Beta, channels outside
/// [0, C) counting as zero. The AlexNet paper's alpha is not divided by the size: its 1e-4 is Alpha = 5e-4 here.
/// </summary>
public readonly record struct LrnGeometry(int N, int C, int Inner, int Size, float Alpha, float Beta, float K)
{
    /// <summary>Elements of x and y.</summary>
    public int Length => N * C * Inner;

    /// <summary>Throws <see cref="ArgumentException"/> when a size is not positive or K is not positive.</summary>
    public void Validate()
    {
        if (N < 1 || C < 1 || Inner < 1 || Size < 1)
        {
            throw new ArgumentException($"LocalResponseNorm sizes must be positive: {this}.");
        }

        if (!(K > 0) || !(Alpha >= 0) || !float.IsFinite(Beta))
        {
            throw new ArgumentException($"LocalResponseNorm needs K > 0, Alpha >= 0 and a finite Beta: {this}.");
        }
    }
}
