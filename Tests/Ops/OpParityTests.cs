using GpuCnn.Tests.Kernels;
using Xunit;

namespace GpuCnn.Tests.Ops;

/// <summary>
/// Every descriptor's kernel checks on every accelerator present, and its oracle checks once: one test per
/// (accelerator, op, check, case), so a failure names all four.
/// </summary>
public sealed class OpParityTests
{
    public static TheoryData<string, string, string, string> KernelData => OpTheoryData.Kernel(d => d.Parity);

    public static TheoryData<string, string, string> OracleData
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var op in OpRegistry.All)
            {
                foreach (var check in op.Oracle)
                {
                    foreach (var item in check.Cases)
                    {
                        data.Add(op.Name, check.Name, item);
                    }
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(KernelData))]
    public void KernelMatchesOracle(string accelerator, string op, string check, string item)
    {
        var run = OpRegistry.Get(op).Parity.Single(c => c.Name == check).Run;
        using var acc = Accelerators.Create(accelerator);
        run(acc, item);
    }

    [Theory]
    [MemberData(nameof(OracleData))]
    public void OracleHolds(string op, string check, string item) =>
        OpRegistry.Get(op).Oracle.Single(c => c.Name == check).Run(item);
}

/// <summary>Theory data shared by the generic op tests.</summary>
internal static class OpTheoryData
{
    /// <summary>Every present accelerator of the op suite crossed with every (op, check, case) of the chosen checks
    /// that it runs.</summary>
    public static TheoryData<string, string, string, string> Kernel(Func<OpDescriptor, IEnumerable<KernelCheck>> of)
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var accelerator in Accelerators.OpSuiteNames)
        {
            foreach (var op in OpRegistry.All.Where(o => Accelerators.Runs(accelerator, o.Name)))
            {
                foreach (var check in of(op))
                {
                    foreach (var item in check.Cases)
                    {
                        data.Add(accelerator, op.Name, check.Name, item);
                    }
                }
            }
        }

        return data;
    }
}
