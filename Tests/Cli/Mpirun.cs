using System.Diagnostics;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary>Runs the <c>gpucnn</c> tool under Open MPI's <c>mpirun</c>, every run bounded by a timeout so that a
/// job that hangs fails its test instead of the suite.</summary>
internal static class Mpirun
{
    public const string RequireVariable = "GPUCNN_REQUIRE_MPI";

    /// <summary>The mpirun on PATH, or null.</summary>
    public static string? Path { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => System.IO.Path.Combine(dir, "mpirun"))
        .FirstOrDefault(File.Exists);

    /// <summary>The options every run here takes: root is allowed (CI runs as root), more ranks than cores.
    /// </summary>
    public static string[] Common { get; } = ["--allow-run-as-root", "--oversubscribe"];

    /// <summary>Starts <c>mpirun [mpiArgs] dotnet gpucnn.dll [args]</c> with <paramref name="environment"/> added.
    /// </summary>
    public static Process Start(IEnumerable<string> mpiArgs, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null, string? program = null)
    {
        var start = new ProcessStartInfo(program ?? Path ?? "mpirun")
        {
            // stdin redirected too: mpirun forwards it to rank 0, whose console would otherwise treat it as a terminal.
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        foreach (var a in mpiArgs.Concat(["dotnet", System.IO.Path.Combine(AppContext.BaseDirectory, "gpucnn.dll")])
                     .Concat(args))
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }

    /// <summary>Runs to the end within <paramref name="timeout"/> (the test fails, the job killed, if not).</summary>
    public static (int Code, string Output) Run(IEnumerable<string> mpiArgs, IEnumerable<string> args,
        TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, string? program = null)
    {
        using var process = Start(mpiArgs, args, environment, program);
        return Finish(process, timeout);
    }

    /// <summary>Waits for a started job within <paramref name="timeout"/>; its exit code and both outputs.</summary>
    public static (int Code, string Output) Finish(Process process, TimeSpan timeout)
    {
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"mpirun did not end within {timeout.TotalSeconds} s:\n{output.Result}\n{error.Result}");
        }

        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }
}

/// <summary>A fact that skips, with the reason, when mpirun is not installed — unless <c>GPUCNN_REQUIRE_MPI=1</c>
/// (set in CI), where it runs and fails.</summary>
internal sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (Mpirun.Path is null && Environment.GetEnvironmentVariable(Mpirun.RequireVariable) != "1")
        {
            Skip = "mpirun is not on PATH (install openmpi-bin, or set GPUCNN_REQUIRE_MPI=1 to make this an " +
                "error); the data-parallel tests did not run.";
        }
    }
}
