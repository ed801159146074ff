using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.Ilgpu;
using GpuCnn.Kernels.OpenCL;
using Xunit;

namespace GpuCnn.Tests.Kernels;

/// <summary>
/// The accelerators the op tests run on, by name. A test takes a name from <see cref="All"/> (or a case list
/// crossed with it) and creates its own instance, because an accelerator's kernels share per-instance state and
/// xunit runs test classes in parallel. A backend joins every op test by adding one line to the table.
/// </summary>
/// <remarks>
/// <para>The ILGPU CPU accelerator (<c>ilgpu-cpu</c>: the CUDA kernels with every GPU thread simulated on the host)
/// runs the op suite only — the descriptor checks of Tests/Ops (parity, kernel and layer gradients, PyTorch
/// conformance) and the tests that name <see cref="OpSuite"/> (optimizer steps, a small network's falling loss) —
/// because a launch there costs about half a millisecond and a barrier-heavy kernel crawls. Its size rule: the
/// op suite's cases are small by construction (a double-precision oracle walks each one), so the row takes them all;
/// the other kernel tests (<see cref="All"/>), which also sweep large shapes, stay off it. Its layer cases are
/// checked against the CPU backend's forward and backward pass instead of central differences (hundreds of forward
/// passes each), see <see cref="GpuCnn.Tests.Ops.OpGradientTests"/>.</para>
/// <para><see cref="IlgpuPendingOps"/> keeps the ops whose ILGPU kernels are not written yet off that row.</para>
/// </remarks>
public static class Accelerators
{
    /// <summary>
    /// Ops whose ILGPU kernels are still being written (their hooks throw "ILGPU kernel pending"): the ILGPU row
    /// skips their descriptors. Remove an op here in the commit that lands its kernels; the list ends empty.
    /// </summary>
    public static readonly IReadOnlySet<string> IlgpuPendingOps = new HashSet<string>(StringComparer.Ordinal)
    {
    };

    /// <summary>
    /// Layer cases of other ops whose graphs contain a pending op (a convolution feeding an addition or a
    /// concatenation): the ILGPU row skips them too, and they go with the pending op.
    /// </summary>
    public static readonly IReadOnlySet<string> IlgpuPendingLayerCases = new HashSet<string>(StringComparer.Ordinal)
    {
    };

    /// <summary>The name of the ILGPU CPU accelerator's row.</summary>
    public const string IlgpuCpu = "ilgpu-cpu";

    private static readonly (string Name, Func<bool> Present, Func<Accelerator> Create, bool OpSuiteOnly)[] Table =
    [
        ("cpu", () => true, () => new CpuAccelerator(), false),

        // A single worker takes the serial paths: no work split and one weight-gradient partial instead of a
        // reduction, which must give the same numbers.
        ("cpu-1thread", () => true, () => new CpuAccelerator(threads: 1), false),

        // The preferred OpenCL device (a GPU, else PoCL's CPU device in CI), present when a platform has one.
        ("opencl", () => OpenCLAccelerator.Devices().Count > 0, () => new OpenCLAccelerator(), false),

        // The same device with every convolution forced through one algorithm instead of the measured rule, which
        // mixes them, so that both stay correct for every op.
        ("opencl-im2col", () => OpenCLAccelerator.Devices().Count > 0,
            () => new OpenCLAccelerator(OpenCLConvolution.Im2col), false),
        // One image per im2col chunk (the budget is below any layer's columns): the chunk offsets and the
        // in-order sum of weight partials across chunks must give the same numbers.
        ("opencl-im2col-chunked", () => OpenCLAccelerator.Devices().Count > 0,
            () => new OpenCLAccelerator(OpenCLConvolution.Im2col) { ColumnBudgetFloats = 1 }, false),
        ("opencl-implicit", () => OpenCLAccelerator.Devices().Count > 0,
            () => new OpenCLAccelerator(OpenCLConvolution.ImplicitGemm), false),

        // ILGPU's CPU accelerator, always present: the ILGPU kernels (compiled to PTX for CUDA GPUs) run here.
        (IlgpuCpu, () => true, IlgpuAccelerator.Cpu, true),
    ];

    /// <summary>Names of the accelerators present on this machine that run every kernel test.</summary>
    public static IEnumerable<string> Names => Table.Where(e => e.Present() && !e.OpSuiteOnly).Select(e => e.Name);

    /// <summary>Names of the accelerators present on this machine that run the op suite: <see cref="Names"/> and
    /// the ILGPU CPU accelerator.</summary>
    public static IEnumerable<string> OpSuiteNames => Table.Where(e => e.Present()).Select(e => e.Name);

    /// <summary>Every present accelerator of the op suite, as xunit theory data.</summary>
    public static TheoryData<string> OpSuite => new(OpSuiteNames);

    /// <summary>True when the op <paramref name="op"/> (a descriptor name) runs on <paramref name="accelerator"/>.
    /// </summary>
    public static bool Runs(string accelerator, string op) =>
        accelerator != IlgpuCpu || !IlgpuPendingOps.Contains(op);

    /// <summary>True when the layer case <paramref name="layerCase"/> of op <paramref name="op"/> runs on
    /// <paramref name="accelerator"/>.</summary>
    public static bool Runs(string accelerator, string op, string layerCase) =>
        Runs(accelerator, op) && (accelerator != IlgpuCpu || !IlgpuPendingLayerCases.Contains(layerCase));

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

    /// <summary>Every present accelerator of the op suite crossed with every named case.</summary>
    public static TheoryData<string, string> CrossOpSuite(IEnumerable<string> cases)
    {
        var data = new TheoryData<string, string>();
        foreach (var name in OpSuiteNames)
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
        throw new ArgumentException($"No accelerator named '{name}'; known: {string.Join(", ", OpSuiteNames)}.");

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
