using GpuCnn.Datasets;
using Xunit;

namespace GpuCnn.Tests.Datasets;

/// <summary>
/// Checks the real MNIST files when they are on disk: in <c>GPUCNN_DATA_DIR</c>, or in <c>data/mnist</c> under the
/// repository root. Skipped otherwise, so the suite passes offline; run <c>Mnist.LoadOrFetch</c> once to enable.
/// </summary>
public sealed class RealMnistTests
{
    [RealMnistFact]
    public void SplitsHaveTheirKnownSizesAndFirstLabels()
    {
        var (train, test) = Mnist.Load(RealMnist.DataDir!);

        Assert.Equal(60000, train.Count);
        Assert.Equal(10000, test.Count);
        Assert.Equal((28, 28), (train.Rows, train.Columns));
        Assert.Equal((28, 28), (test.Rows, test.Columns));
        Assert.Equal(5, train.Labels[0]);
        Assert.Equal(7, test.Labels[0]);
    }

    [RealMnistFact]
    public void TrainingClassCountsAndStatisticsMatchTheConstants()
    {
        var (train, _) = Mnist.Load(RealMnist.DataDir!);

        var perClass = new int[10];
        foreach (byte label in train.Labels)
        {
            perClass[label]++;
        }
        Assert.Equal([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949], perClass);

        double sum = 0, sumOfSquares = 0;
        foreach (byte pixel in train.Pixels)
        {
            double x = pixel / 255.0;
            sum += x;
            sumOfSquares += x * x;
        }
        double mean = sum / train.Pixels.Length;
        double std = Math.Sqrt(sumOfSquares / train.Pixels.Length - mean * mean);
        Assert.Equal(Mnist.Mean, mean, 4);
        Assert.Equal(Mnist.Std, std, 4);
    }
}

/// <summary>Where the real MNIST files are, or null when they are not on this machine.</summary>
internal static class RealMnist
{
    public static readonly string? DataDir = Locate();

    private static string? Locate()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(Mnist.DataDirVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Mnist.IsPresent(fromEnvironment) ? fromEnvironment : null;
        }
        // The test binaries normally sit under the repository; the working directory covers runs from elsewhere.
        string? root = RepositoryRoot(AppContext.BaseDirectory) ?? RepositoryRoot(Environment.CurrentDirectory);
        if (root is null)
        {
            return null;
        }
        string candidate = Path.Combine(root, "data", "mnist");
        return Mnist.IsPresent(candidate) ? candidate : null;
    }

    private static string? RepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "gpu-cnn.sln")))
            {
                return dir.FullName;
            }
        }
        return null;
    }
}

/// <summary>A fact that is skipped, with the reason, when the real MNIST files are absent.</summary>
internal sealed class RealMnistFactAttribute : FactAttribute
{
    public RealMnistFactAttribute()
    {
        // CI sets GPUCNN_REQUIRE_MNIST=1 after fetching, so a missing data set fails there instead of skipping.
        if (RealMnist.DataDir is null && Environment.GetEnvironmentVariable("GPUCNN_REQUIRE_MNIST") != "1")
        {
            Skip = $"MNIST not found (set {Mnist.DataDirVariable} or put it in data/mnist under the repository root).";
        }
    }
}
