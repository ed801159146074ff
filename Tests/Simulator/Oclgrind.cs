using System.Diagnostics;
using GpuCnn.Tests.Kernels;
using Xunit;

namespace GpuCnn.Tests.Simulator;

/// <summary>What a child process run under the simulator left: exit code, outputs, the simulator's log and the
/// wall time.</summary>
internal sealed record SimulatorRun(int ExitCode, string Output, string Error, string Log, TimeSpan Elapsed)
{
    /// <summary>The findings in <see cref="Log"/>.</summary>
    public IReadOnlyList<OclgrindReport> Reports => OclgrindLog.Parse(Log);

    /// <summary>Exit code, both outputs and the start of the log, for a failure message.</summary>
    public string Describe(int tail = 4000)
    {
        static string Tail(string text, int length) => text.Length <= length ? text : "..." + text[^length..];
        return $"exit code {ExitCode} after {Elapsed.TotalSeconds:F1} s\n--- output (instruction counts left out)\n" +
            Tail(string.Join('\n', Output.Split('\n').Where(l => !l.StartsWith(' ') && l.Trim().Length > 0)), tail) +
            $"\n--- error\n{Tail(Error, tail)}\n--- simulator log\n{(Log.Length <= tail ? Log : Log[..tail] + "...")}";
    }
}

/// <summary>
/// Oclgrind, the OpenCL device simulator, reached without registering it system-wide: a child process gets an
/// ICD vendor folder of its own (<c>OCL_ICD_VENDORS</c>, which the ICD loader reads instead of
/// <c>/etc/OpenCL/vendors</c>) holding Oclgrind's ICD and, when asked, the system's drivers too, so the test
/// runner's own process keeps PoCL alone. The simulator checks every memory access of every work-item
/// (<c>OCLGRIND_DATA_RACES=1</c>, and invalid accesses, always on) and the API calls
/// (<c>OCLGRIND_CHECK_API=1</c>), writing findings to <c>OCLGRIND_LOG</c>. Its uninitialised-value checker stays
/// off: it misreads LLVM's <c>freeze</c> instruction and then reports values that were initialised.
/// </summary>
internal static class Oclgrind
{
    /// <summary>Overrides where Oclgrind's ICD library is looked for.</summary>
    public const string IcdVariable = "GPUCNN_OCLGRIND_ICD";

    private const string SystemVendors = "/etc/OpenCL/vendors";

    // Where Debian's and Ubuntu's oclgrind package and a source install put the ICD library.
    private static readonly string[] IcdCandidates =
    [
        "/usr/lib/oclgrind/liboclgrind-rt-icd.so",
        "/usr/lib/x86_64-linux-gnu/oclgrind/liboclgrind-rt-icd.so",
        "/usr/lib/aarch64-linux-gnu/oclgrind/liboclgrind-rt-icd.so",
        "/usr/local/lib/liboclgrind-rt-icd.so",
    ];

    /// <summary>Oclgrind's ICD library, or null when it is not installed.</summary>
    public static string? IcdLibrary
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(IcdVariable);
            if (!string.IsNullOrWhiteSpace(configured))
            {
                return File.Exists(configured) ? configured : null;
            }

            return OperatingSystem.IsLinux() ? IcdCandidates.FirstOrDefault(File.Exists) : null;
        }
    }

    /// <summary>Runs <c>dotnet <paramref name="assembly"/> <paramref name="args"/></c> with the simulator as its
    /// OpenCL platform (and, with <paramref name="withSystemDrivers"/>, the system's drivers beside it), killing it
    /// after <paramref name="timeout"/>.</summary>
    public static SimulatorRun Run(string assembly, IEnumerable<string> args, bool withSystemDrivers,
        TimeSpan timeout)
    {
        var icd = IcdLibrary ?? throw new InvalidOperationException(
            $"Oclgrind's liboclgrind-rt-icd.so was found neither where {IcdVariable} says nor in " +
            $"{string.Join(", ", IcdCandidates)}; install Oclgrind (on Debian: apt-get install oclgrind).");
        var folder = Directory.CreateTempSubdirectory("gpucnn-oclgrind-").FullName;
        try
        {
            var vendors = Path.Combine(folder, "vendors");
            Directory.CreateDirectory(vendors);
            File.WriteAllText(Path.Combine(vendors, "oclgrind.icd"), icd + "\n");
            if (withSystemDrivers && Directory.Exists(SystemVendors))
            {
                foreach (var file in Directory.EnumerateFiles(SystemVendors, "*.icd"))
                {
                    if (!File.ReadAllText(file).Contains("oclgrind", StringComparison.OrdinalIgnoreCase))
                    {
                        File.Copy(file, Path.Combine(vendors, Path.GetFileName(file)));
                    }
                }
            }

            var log = Path.Combine(folder, "oclgrind.log");
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(assembly);
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            var environment = start.Environment;
            environment["OCL_ICD_VENDORS"] = vendors;
            environment.Remove("OCL_ICD_FILENAMES");
            environment["OCLGRIND_DATA_RACES"] = "1";
            environment["OCLGRIND_CHECK_API"] = "1";
            environment["OCLGRIND_INST_COUNTS"] = "1";
            environment["OCLGRIND_LOG"] = log;
            environment.Remove("OCLGRIND_UNINITIALIZED");
            environment.Remove("GPUCNN_OPENCL_CONV");

            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                Assert.Fail($"The simulator run ({string.Join(' ', args)}) took longer than " +
                    $"{timeout.TotalSeconds} s; output so far:\n{output.Result}");
            }

            process.WaitForExit();
            var text = File.Exists(log) ? File.ReadAllText(log) : "";
            return new SimulatorRun(process.ExitCode, output.Result, error.Result, text, clock.Elapsed);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Runs this test assembly's <see cref="SimulatorChild"/> in <paramref name="mode"/>.</summary>
    public static SimulatorRun RunChild(string mode, bool withSystemDrivers = false, TimeSpan? timeout = null) =>
        Run(typeof(SimulatorChild).Assembly.Location, [mode], withSystemDrivers,
            timeout ?? TimeSpan.FromMinutes(5));
}

/// <summary>A fact that needs Oclgrind: it skips, with the reason, where Oclgrind is not installed — unless
/// <c>GPUCNN_REQUIRE_OPENCL=1</c> (set in CI), where it runs and fails.</summary>
internal sealed class OclgrindFactAttribute : FactAttribute
{
    public OclgrindFactAttribute()
    {
        if (Oclgrind.IcdLibrary is null &&
            Environment.GetEnvironmentVariable(OpenCLFactAttribute.RequireVariable) != "1")
        {
            Skip = "Oclgrind is not installed (on Debian: apt-get install oclgrind; or name its " +
                $"liboclgrind-rt-icd.so in {Oclgrind.IcdVariable}), so the OpenCL kernels were not checked for " +
                $"races and invalid accesses; set {OpenCLFactAttribute.RequireVariable}=1 to make this an error.";
        }
    }
}
