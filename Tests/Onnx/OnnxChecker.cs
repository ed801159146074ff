using System.Diagnostics;
using Xunit;

namespace GpuCnn.Tests.Onnx;

/// <summary>The ONNX project's own checker (<c>onnx.checker.check_model</c> with full shape inference) from Debian's
/// <c>python3-onnx</c>, run once over a folder of models.</summary>
internal static class OnnxChecker
{
    private const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(() =>
    {
        var (code, output) = RunPython("import onnx");
        return code == 0 ? null : $"python3-onnx is not installed ({Python} -c 'import onnx': {output.Trim()})";
    });

    /// <summary>Why the checker cannot run here, or null when it can.</summary>
    public static string? SkipReason => Missing.Value;

    /// <summary>Checks every <c>.onnx</c> file in <paramref name="folder"/>; the output lists each file's verdict.
    /// </summary>
    public static (int ExitCode, string Output) CheckFolder(string folder) => RunPython(
        "import onnx, sys, glob, os\n" +
        "bad = 0\n" +
        "for path in sorted(glob.glob(os.path.join(sys.argv[1], '*.onnx'))):\n" +
        "    try:\n" +
        "        onnx.checker.check_model(onnx.load(path), full_check=True)\n" +
        "        print('ok', os.path.basename(path))\n" +
        "    except Exception as e:\n" +
        "        bad += 1\n" +
        "        print('FAILED', os.path.basename(path), e)\n" +
        "sys.exit(1 if bad else 0)\n", folder);

    private static (int, string) RunPython(string script, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(script);
            foreach (var a in args)
            {
                info.ArgumentList.Add(a);
            }

            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}

/// <summary>A fact that skips, saying why, when python3-onnx is absent (CI installs it).</summary>
internal sealed class OnnxCheckerFactAttribute : FactAttribute
{
    public OnnxCheckerFactAttribute() => Skip = OnnxChecker.SkipReason;
}
