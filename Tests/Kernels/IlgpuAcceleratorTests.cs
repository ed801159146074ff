using GpuCnn.Kernels;
using GpuCnn.Kernels.Ilgpu;
using GpuCnn.Tests.Ops;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>The ILGPU backend's plumbing on its CPU accelerator, its device strings, and the honesty of the
/// ILGPU test row: every op has cases on it, and every op kept off it still lacks its kernels.</summary>
public sealed class IlgpuAcceleratorTests
{
    [Fact]
    public void FactoryOpensTheIlgpuCpuAcceleratorAndKnowsCudaStrings()
    {
        using var acc = AcceleratorFactory.Create("ilgpu-cpu");
        var ilgpu = Assert.IsType<IlgpuAccelerator>(acc);
        Assert.Equal(AcceleratorKind.Ilgpu, acc.Kind);
        Assert.False(ilgpu.IsCuda);
        Assert.Contains("ILGPU CPU", acc.Name, StringComparison.Ordinal);
        Assert.True(AcceleratorFactory.IsValid("cuda"));
        Assert.True(AcceleratorFactory.IsValid("CUDA:1"));
        Assert.False(AcceleratorFactory.IsValid("cuda:-1"));
        Assert.False(AcceleratorFactory.IsValid("cuda:x"));
    }

    [Fact]
    public void AMissingCudaGpuIsRefusedWithItsIndex()
    {
        var count = IlgpuAccelerator.CudaDevices().Count;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => AcceleratorFactory.Create($"cuda:{count}"));
        Assert.Contains("gpucnn devices", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AutoPrefersACudaGpuThenAnOpenCLGpuThenTheCpuBackend()
    {
        Assert.Equal("cuda:0", AcceleratorFactory.AutoChoice(2, 1));
        Assert.Equal("cuda:0", AcceleratorFactory.AutoChoice(1, null));
        Assert.Equal("opencl:1", AcceleratorFactory.AutoChoice(0, 1));
        Assert.Equal("cpu", AcceleratorFactory.AutoChoice(0, null));

        // On this machine: what auto opens is what the rule names.
        var expected = AcceleratorFactory.AutoChoice(IlgpuAccelerator.CudaDevices().Count,
            GpuCnn.Kernels.OpenCL.OpenCLAccelerator.GpuDeviceIndex());
        Assert.Equal(expected, AcceleratorFactory.ResolveAuto());
        using var auto = AcceleratorFactory.Create("auto");
        var kind = expected.StartsWith("cuda", StringComparison.Ordinal) ? AcceleratorKind.Ilgpu
            : expected.StartsWith("opencl", StringComparison.Ordinal) ? AcceleratorKind.OpenCL : AcceleratorKind.Cpu;
        Assert.Equal(kind, auto.Kind);
    }

    [Fact]
    public void DevicesListsACudaGpuWithItsMultiprocessorsMemoryAndComputeCapability()
    {
        var line = GpuCnn.Cli.DevicesCommand.CudaLine(new CudaDeviceInfo(1, "NVIDIA H200", 132, 150_000L << 20,
            "9.0"));
        Assert.Equal("cuda:1    NVIDIA H200, 132 multiprocessors, 150,000 MiB memory, compute capability 9.0", line);
    }

    [Fact]
    public void AModelTooLargeForTheDeviceMemoryIsRefusedWhenBuiltNamingTheMemoryNeeded()
    {
        // The CUDA path's check, on the CPU accelerator with a 1 MiB device: LeNet-5's conv1 output alone needs
        // 6*28*28 floats per image, 1.2 MB at batch 64.
        using var acc = IlgpuAccelerator.Cpu();
        acc.MemoryLimitBytes = 1 << 20;

        var error = Assert.Throws<DeviceMemoryException>(() => GpuCnn.Models.ModelZoo.Build("lenet5", acc,
            maxBatch: 64));

        Assert.Contains("Model 'lenet5' at batch size 64 needs about", error.Message, StringComparison.Ordinal);
        Assert.Contains(acc.Name, error.Message, StringComparison.Ordinal);
        Assert.True(error.BytesNeeded >= 2L * 6 * 28 * 28 * sizeof(float) * 64, $"{error.BytesNeeded} bytes");
    }

    [Fact]
    public void CopiesRoundTripAtAnOffsetAndSumOfSquaresReducesAcrossGroups()
    {
        using var acc = IlgpuAccelerator.Cpu();
        var data = Enumerable.Range(0, 70001).Select(i => (float)Math.Sin(i * 0.37) * 3f).ToArray();
        var buffer = acc.Allocate(data.Length + 5);
        acc.Fill(buffer, -1f);
        acc.CopyFromHost(data, buffer, offset: 5);
        var back = buffer.ToArray();
        Assert.Equal([-1f, -1f, -1f, -1f, -1f], back[..5]);
        Assert.Equal(data, back[5..]);

        var expected = data.Sum(v => (double)v * v) + 5;
        Assert.Equal(expected, acc.SumOfSquares(buffer, buffer.Length), expected * 1e-5);
        Assert.Equal(0.0, acc.SumOfSquares(buffer, 0));
    }

    [Fact]
    public void EveryOpOffThePendingListHasCasesOnTheIlgpuRowAndThePendingListNamesRealOps()
    {
        var names = OpRegistry.All.Select(o => o.Name).ToHashSet();
        Assert.Subset(names, Accelerators.IlgpuPendingOps.ToHashSet());
        foreach (var op in OpRegistry.All.Where(o => !Accelerators.IlgpuPendingOps.Contains(o.Name)))
        {
            var rows = OpParityTests.KernelData.Count(row => (string)row[0] == Accelerators.IlgpuCpu &&
                (string)row[1] == op.Name) + OpGradientTests.CpuParityLayerData.Count(row =>
                (string)row[0] == Accelerators.IlgpuCpu && (string)row[1] == op.Name);
            Assert.True(rows > 0, $"{op.Name} has no case on {Accelerators.IlgpuCpu}.");
        }
    }

    [Fact]
    public void EveryPendingOpStillLacksAnIlgpuKernel()
    {
        // When an op's kernels land, this fails until the op leaves IlgpuPendingOps, so the list cannot go stale.
        // A loop rather than a theory: the list ends empty, and a theory without data is an error.
        foreach (var op in Accelerators.IlgpuPendingOps.Order(StringComparer.Ordinal))
        {
            APendingOpStillLacksAnIlgpuKernel(op);
        }
    }

    private static void APendingOpStillLacksAnIlgpuKernel(string op)
    {
        var descriptor = OpRegistry.Get(op);
        var pending = 0;
        foreach (var check in descriptor.Parity.Concat(descriptor.KernelGradients))
        {
            using var acc = IlgpuAccelerator.Cpu();
            try
            {
                check.Run(acc, check.Cases.First());
            }
            catch (NotImplementedException e) when (e.Message.Contains("ILGPU kernel pending",
                StringComparison.Ordinal))
            {
                pending++;
            }
        }

        // An op tested only as a layer (GlobalAvgPool2d runs the average-pooling kernels) is probed as a layer.
        foreach (var (name, layer) in descriptor.Layers)
        {
            try
            {
                OpGradientTests.Check(Accelerators.IlgpuCpu, name, layer);
            }
            catch (NotImplementedException e) when (e.Message.Contains("ILGPU kernel pending",
                StringComparison.Ordinal))
            {
                pending++;
            }
        }

        Assert.True(pending > 0, $"{op}'s ILGPU kernels run: remove it from Accelerators.IlgpuPendingOps.");
    }
}
