namespace GpuCnn.Datasets.Augmentation;

/// <summary>The layout of one planar (CHW) image that a transform works on.</summary>
/// <param name="Channels">Channels of the image: 1 grey, 3 RGB.</param>
/// <param name="Height">Rows of the image.</param>
/// <param name="Width">Columns of the image.</param>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Floats in one image, <see cref="Channels"/> * <see cref="Height"/> * <see cref="Width"/>.</summary>
    public int Size => Channels * Height * Width;
}
