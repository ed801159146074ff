namespace GpuCnn.Engine;

/// <summary>The shape of one sample (the batch dimension is not part of it): (C, H, W) for images, (F) for
/// features.</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] dims;

    /// <summary>Creates a shape from its dimensions, outermost first.</summary>
    public Shape(params int[] dimensions)
    {
        if (dimensions.Length == 0 || dimensions.Any(d => d < 1))
        {
            throw new ArgumentException($"A shape needs positive dimensions, got ({string.Join(", ", dimensions)}).");
        }

        dims = (int[])dimensions.Clone();
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => dims.Length;

    /// <summary>Dimension <paramref name="i"/>.</summary>
    public int this[int i] => dims[i];

    /// <summary>Elements of one sample.</summary>
    /// <exception cref="GraphException">The product of the dimensions exceeds <see cref="int.MaxValue"/>; the message
    /// names the shape.</exception>
    public int Size
    {
        get
        {
            long size = 1;
            foreach (var d in dims)
            {
                size *= d;
                if (size > int.MaxValue)
                {
                    throw new GraphException(
                        $"The shape {this} has more than {int.MaxValue} elements per sample; reduce its dimensions " +
                        "(a class count, a channel count or an image side).");
                }
            }

            return (int)size;
        }
    }

    /// <summary>The dimensions as an array copy.</summary>
    public int[] ToArray() => (int[])dims.Clone();

    /// <inheritdoc />
    public bool Equals(Shape? other) => other is not null && dims.AsSpan().SequenceEqual(other.dims);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Shape);

    /// <inheritdoc />
    public override int GetHashCode() => dims.Aggregate(17, (h, d) => h * 31 + d);

    /// <summary>"(6, 28, 28)".</summary>
    public override string ToString() => $"({string.Join(", ", dims)})";

    /// <summary>"28x28x6", the way the lecture notes write image volumes (H x W x C).</summary>
    public string ToVolumeString() => Rank == 3 ? $"{dims[1]}x{dims[2]}x{dims[0]}" : string.Join("x", dims);
}
