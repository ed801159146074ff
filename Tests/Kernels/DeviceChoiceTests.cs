using GpuCnn.Kernels.OpenCL;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>Which OpenCL device <c>--device auto</c> and <c>--device opencl</c> take, from device lists as the
/// loader could report them: a simulator (Oclgrind calls itself a GPU) and a CPU driver (PoCL) are never
/// <c>auto</c>'s choice, and <c>opencl</c> takes the simulator only when nothing else exists.</summary>
public sealed class DeviceChoiceTests
{
    private static OpenCLDevice Device(int index, string platform, string name, OpenCLDeviceType type) =>
        new(index, platform, name, type, 1, 1L << 30, 1L << 28, 256, 32 * 1024, "OpenCL 1.2");

    private static readonly OpenCLDevice Oclgrind0 =
        Device(0, "Oclgrind", "Oclgrind Simulator", OpenCLDeviceType.Gpu);

    private static OpenCLDevice Pocl(int index) =>
        Device(index, "Portable Computing Language", "cpu-skylake-avx512", OpenCLDeviceType.Cpu);

    private static OpenCLDevice Gpu(int index) =>
        Device(index, "NVIDIA CUDA", "NVIDIA GeForce RTX 4090", OpenCLDeviceType.Gpu);

    [Fact]
    public void OnlyOclgrindIsASimulator()
    {
        Assert.True(Oclgrind0.IsSimulator);
        Assert.True(Device(3, "Some platform", "oclgrind simulator", OpenCLDeviceType.Gpu).IsSimulator);
        Assert.False(Pocl(1).IsSimulator);
        Assert.False(Gpu(2).IsSimulator);
    }

    [Fact]
    public void AutoTakesTheFirstRealGpuPastASimulatorAndACpuDriver()
    {
        Assert.Equal(2, OpenCLDevice.AutoChoice([Oclgrind0, Pocl(1), Gpu(2), Gpu(3)]));
        Assert.Equal(0, OpenCLDevice.AutoChoice([Gpu(0), Oclgrind0 with { Index = 1 }]));
    }

    [Fact]
    public void AutoTakesNoOpenCLDeviceWhenOnlyASimulatorAndACpuDriverExist()
    {
        Assert.Null(OpenCLDevice.AutoChoice([Oclgrind0, Pocl(1)]));
        Assert.Null(OpenCLDevice.AutoChoice([Pocl(0)]));
        Assert.Null(OpenCLDevice.AutoChoice([Oclgrind0]));
        Assert.Null(OpenCLDevice.AutoChoice([]));
    }

    [Fact]
    public void OpenCLPrefersARealGpuThenACpuDriverThenTheSimulator()
    {
        Assert.Equal(2, OpenCLDevice.PreferredChoice([Oclgrind0, Pocl(1), Gpu(2)]));
        Assert.Equal(1, OpenCLDevice.PreferredChoice([Oclgrind0, Pocl(1)]));
        Assert.Equal(0, OpenCLDevice.PreferredChoice([Oclgrind0]));
        Assert.Null(OpenCLDevice.PreferredChoice([]));
    }
}
