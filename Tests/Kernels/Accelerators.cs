using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.OpenCL;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>
/// The accelerators the op tests run on, by name. A test takes a name from <see cref="All"/> (or a case list
/// crossed with it) and creates its own instance, because an accelerator's kernels share per-instance state and
/// xunit runs test classes in parallel. A backend joins every op test by adding one line to the table.
/// </summary>
public static class Accelerators
{
    private static readonly (string Name, Func<bool> Present, Func<Accelerator> Create)[] Table =
    [
        ("cpu", () => true, () => new CpuAccelerator()),

        // A single worker takes the serial paths: no work split and one weight-gradient partial instead of a
        // reduction, which must give the same numbers.
        ("cpu-1thread", () => true, () => new CpuAccelerator(threads: 1)),

        // The preferred OpenCL device (a GPU, else PoCL's CPU device in CI), present when a platform has one.
        ("opencl", () => OpenCLAccelerator.Devices().Count > 0, () => new OpenCLAccelerator()),

        // The same device with every convolution forced through one algorithm instead of the measured rule, which
        // mixes them, so that both stay correct for every op.
        ("opencl-im2col", () => OpenCLAccelerator.Devices().Count > 0,
            () => new OpenCLAccelerator(OpenCLConvolution.Im2col)),
        // One image per im2col chunk (the budget is below any layer's columns): the chunk offsets and the
        // in-order sum of weight partials across chunks must give the same numbers.
        ("opencl-im2col-chunked", () => OpenCLAccelerator.Devices().Count > 0,
            () => new OpenCLAccelerator(OpenCLConvolution.Im2col) { ColumnBudgetFloats = 1 }),
        ("opencl-implicit", () => OpenCLAccelerator.Devices().Count > 0,
            () => new OpenCLAccelerator(OpenCLConvolution.ImplicitGemm)),
    ];

    /// <summary>Names of the accelerators present on this machine.</summary>
    public static IEnumerable<string> Names => Table.Where(e => e.Present()).Select(e => e.Name);

    /// <summary>Every present accelerator, as xunit theory data.</summary>
    public static TheoryData<string> All => new(Names);

    /// <summary>Every present accelerator crossed with every named case.</summary>
    public static TheoryData<string, string> Cross(IEnumerable<string> cases)
    {
        var data = new TheoryData<string, string>();
        foreach (var name in Names)
        {
            foreach (var item in cases)
            {
                data.Add(name, item);
            }
        }

        return data;
    }

    /// <summary>A fresh accelerator; the caller disposes it.</summary>
    public static Accelerator Create(string name) => Table.FirstOrDefault(e => e.Name == name).Create?.Invoke() ??
        throw new ArgumentException($"No accelerator named '{name}'; known: {string.Join(", ", Names)}.");

    /// <summary>A new buffer holding <paramref name="data"/>.</summary>
    public static DeviceBuffer Upload(this Accelerator accelerator, float[] data)
    {
        var buffer = accelerator.Allocate(data.Length);
        accelerator.CopyFromHost(data, buffer);
        return buffer;
    }

    /// <summary>A new buffer of <paramref name="length"/> copies of <paramref name="value"/>.</summary>
    public static DeviceBuffer Filled(this Accelerator accelerator, int length, float value)
    {
        var buffer = accelerator.Allocate(length);
        accelerator.Fill(buffer, value);
        return buffer;
    }
}
