using GpuCnn.Tests.Kernels;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary><c>gpucnn selftest</c>: one verdict line per op, and the exit code says whether all passed.</summary>
public sealed class SelfTestCliTests
{
    [OpenCLFact]
    public void SelftestOnOpenCLPassesEveryOpAndExitsZero()
    {
        var (code, output, error) = Gpucnn.Run("selftest", "--device", "opencl", "--small-only");

        Assert.True(code == 0, output + error);
        var verdicts = output.Split('\n').Where(l => l.StartsWith("PASS", StringComparison.Ordinal)).ToList();
        Assert.Equal(23, verdicts.Count);
        Assert.Contains(verdicts, l => l.Contains("Conv2d", StringComparison.Ordinal));
        Assert.Contains("selftest passed: 23 ops", output, StringComparison.Ordinal);
    }

    [Fact]
    public void SelftestOnTheIlgpuCpuAcceleratorGivesAVerdictPerOpAndFailsOnAnyFailure()
    {
        var (code, output, _) = Gpucnn.Run("selftest", "--device", "ilgpu-cpu", "--small-only");

        var verdicts = output.Split('\n').Where(l => l.StartsWith("PASS", StringComparison.Ordinal) ||
            l.StartsWith("FAIL", StringComparison.Ordinal)).ToList();
        Assert.Equal(23, verdicts.Count);
        Assert.Contains(verdicts, l => l.StartsWith("PASS  Softmax ", StringComparison.Ordinal));
        Assert.Contains(verdicts, l => l.StartsWith("PASS  Dropout ", StringComparison.Ordinal));
        var failures = verdicts.Count(l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.Equal(failures == 0 ? 0 : 1, code);
    }
}
