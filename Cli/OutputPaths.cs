namespace GpuCnn.Cli;

/// <summary>
/// Checks, before any data is read or any step trained, that each output option names a file that can be written:
/// not empty, not a directory, in a folder that exists or can be created (not under a regular file), where a probe
/// file can be created and deleted. A bad path would otherwise fail only when the first epoch ends.
/// </summary>
internal static class OutputPaths
{
    /// <summary>Checks each (option, path) pair whose path is given.</summary>
    /// <exception cref="OptionException">A path cannot be written; the message names the option and the path.
    /// </exception>
    public static void Check(params (string Option, string? Path)[] outputs)
    {
        foreach (var (option, path) in outputs)
        {
            if (path is not null)
            {
                CheckFile(option, path);
            }
        }
    }

    /// <summary>Checks that <paramref name="path"/>, a folder of outputs, exists or can be created, and can be
    /// written in.</summary>
    /// <exception cref="OptionException">It cannot; the message names the option and the path.</exception>
    public static void CheckFolder(string option, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new OptionException($"{option}: the path is empty; give a folder.");
        }

        if (File.Exists(path))
        {
            throw new OptionException($"{option} {path}: is a file, not a folder.");
        }

        Probe(option, path, Path.GetFullPath(path));
    }

    private static void CheckFile(string option, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new OptionException($"{option}: the path is empty; give a file to write.");
        }

        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OptionException($"{option} {path}: not a usable path ({e.Message}).");
        }

        if (Directory.Exists(full) || full.EndsWith(Path.DirectorySeparatorChar))
        {
            throw new OptionException($"{option} {path}: is a directory; give a file path inside it.");
        }

        Probe(option, path, Path.GetDirectoryName(full)!);
        if (File.Exists(full))
        {
            try
            {
                // Opening for writing without truncating changes nothing but proves the file may be replaced.
                using var existing = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new OptionException($"{option} {path}: the existing file cannot be written ({e.Message}).");
            }
        }
    }

    // Creates the folder as the writers would, then a probe file in it, deleted again at once.
    private static void Probe(string option, string path, string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".gpucnn-probe.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1,
                FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var blocker = RegularFileAbove(folder);
            throw new OptionException(blocker is not null
                ? $"{option} {path}: {blocker} is a regular file, so no folder can be made under it."
                : $"{option} {path}: cannot write in {folder} ({e.Message}).");
        }
    }

    private static string? RegularFileAbove(string folder)
    {
        for (var dir = folder; !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(dir))
            {
                return dir;
            }
        }

        return null;
    }
}
