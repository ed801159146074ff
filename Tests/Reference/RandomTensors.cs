namespace GpuCnn.Tests.Reference;

/// <summary>Seeded test inputs. Values are floats, so the double copy the reference sees is exact.</summary>
internal static class RandomTensors
{
    /// <summary>Uniform values in [low, high).</summary>
    public static float[] Uniform(int count, int seed, float low = -1f, float high = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = low + (high - low) * random.NextSingle();
        }

        return values;
    }

    /// <summary>Uniform values whose magnitude is at least <paramref name="gap"/>, for functions with a kink at 0
    /// (ReLU) where a finite difference must not straddle the kink.</summary>
    public static float[] AwayFromZero(int count, int seed, float gap)
    {
        var values = Uniform(count, seed, gap, 1f);
        var signs = new Random(seed + 1);
        for (var i = 0; i < count; i++)
        {
            values[i] *= signs.Next(2) == 0 ? -1f : 1f;
        }

        return values;
    }

    /// <summary>A shuffled ladder of values <paramref name="spacing"/> apart: no two are equal or close, so a max
    /// has one winner and a small perturbation cannot change it.</summary>
    public static float[] Distinct(int count, int seed, float spacing)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (i - count / 2) * spacing;
        }

        new Random(seed).Shuffle(values);
        return values;
    }

    /// <summary>Class labels in [0, classes).</summary>
    public static int[] Labels(int count, int classes, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(classes)).ToArray();
    }
}
