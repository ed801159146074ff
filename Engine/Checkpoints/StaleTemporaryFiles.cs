using System.Diagnostics;
using System.Globalization;

namespace GpuCnn.Engine.Checkpoints;

/// <summary>
/// The temporary files <see cref="SafeTensors.Write"/> writes before renaming (<c>.NAME.PID.tmp</c> beside
/// <c>NAME</c>), and the removal of those a killed process left behind. A file is stale when the process that wrote
/// it no longer runs, or when it has not been written to for a day; the file of a live writer is never touched.
/// </summary>
internal static class StaleTemporaryFiles
{
    /// <summary>A temporary file untouched this long is left over even if its process id is alive again (ids are
    /// reused); writing a checkpoint takes seconds.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(1);

    /// <summary>The temporary file this process writes for <paramref name="path"/>.</summary>
    public static string For(string path, int processId)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{processId}.tmp");
    }

    /// <summary>Deletes the stale temporary files of <paramref name="path"/> and returns their paths; one that
    /// cannot be deleted is left for a later write.</summary>
    public static List<string> Remove(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        var name = Path.GetFileName(full);
        var removed = new List<string>();
        if (!Directory.Exists(directory))
        {
            return removed;
        }

        var prefix = "." + name + ".";
        foreach (var file in Directory.EnumerateFiles(directory, prefix + "*.tmp"))
        {
            var middle = Path.GetFileName(file)[prefix.Length..^".tmp".Length];
            if (!int.TryParse(middle, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ||
                pid == Environment.ProcessId || !IsStale(file, pid))
            {
                continue;
            }

            try
            {
                File.Delete(file);
                removed.Add(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another writer may be removing it at the same moment, or it is not ours to delete.
            }
        }

        return removed;
    }

    private static bool IsStale(string file, int pid) =>
        !IsAlive(pid) || DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > MaxAge;

    /// <summary>Whether process <paramref name="pid"/> runs on this machine.</summary>
    internal static bool IsAlive(int pid)
    {
        if (Directory.Exists("/proc/self"))
        {
            return Directory.Exists($"/proc/{pid}");
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
