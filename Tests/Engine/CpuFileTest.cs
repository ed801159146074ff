using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Tests.Engine;

/// <summary>A CPU accelerator and a scratch folder for tests that write files; both go when the test ends.</summary>
public abstract class CpuFileTest : IDisposable
{
    /// <summary>Creates the accelerator and a new folder named after <paramref name="prefix"/>.</summary>
    protected CpuFileTest(string prefix) => dir = Directory.CreateTempSubdirectory(prefix).FullName;

#pragma warning disable SA1401, CA1051 // Fields the derived tests use as plainly as their own.
    /// <summary>The accelerator.</summary>
    protected readonly CpuAccelerator acc = new();

    /// <summary>The scratch folder.</summary>
    protected readonly string dir;
#pragma warning restore SA1401, CA1051

    /// <inheritdoc />
    public void Dispose()
    {
        acc.Dispose();
        Directory.Delete(dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
