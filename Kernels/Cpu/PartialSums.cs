namespace GpuCnn.Kernels.Cpu;

/// <summary>
/// The sums the CPU convolutions share: a weight gradient made as one partial per fixed range of images (weights,
/// then biases, in one block per partial) is added into dw and db partial by partial, in index order, so its bits do
/// not depend on which thread made which partial.
/// </summary>
internal static unsafe class PartialSums
{
    /// <summary>dw += the weight part, db += the bias part (when db is given) of each of the partials in turn.</summary>
    public static void AddInto(float* partials, int count, long partialLength, float* dw, int weightLength,
        float* db, int biasLength)
    {
        for (var part = 0; part < count; part++)
        {
            var partial = partials + part * partialLength;
            Add(partial, dw, weightLength);
            if (db != null)
            {
                Add(partial + weightLength, db, biasLength);
            }
        }
    }

    /// <summary>destination += source over count floats.</summary>
    public static void Add(float* source, float* destination, int count) =>
        System.Numerics.Tensors.TensorPrimitives.Add(
            new ReadOnlySpan<float>(source, count), new ReadOnlySpan<float>(destination, count),
            new Span<float>(destination, count));

    /// <summary>The sum of count floats.</summary>
    public static float Sum(float* source, int count) =>
        System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<float>(source, count));
}
