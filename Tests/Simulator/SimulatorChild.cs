using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using GpuCnn.Kernels;
using GpuCnn.Kernels.Cpu;
using GpuCnn.Kernels.OpenCL;

namespace GpuCnn.Tests.Simulator;

/// <summary>
/// The test assembly's entry point, run as a child process by the simulator tier (<c>dotnet GpuCnn.Tests.dll
/// MODE</c>) with an OpenCL loader configured to see the simulator: the loader reads its vendor list once per
/// process, and the simulator aborts when two kernels run at once, so neither may share the test runner's
/// process. xunit never calls it. Modes:
/// <list type="bullet">
/// <item><c>kernels [CASE...]</c>: runs the <see cref="KernelCases"/> (all, or those named) on the simulator and
/// on the CPU backend, prints <c>case NAME</c> before each and <c>mismatch ...</c> where they disagree, then
/// <c>program-kernels</c> and every kernel name of the built program.</item>
/// <item><c>faulty</c>: runs the <see cref="FaultyKernels"/> on the simulator.</item>
/// <item><c>choice</c>: prints the devices with their marks and what <c>auto</c> and <c>opencl</c> open.</item>
/// </list>
/// Exit code 0 when the mode ran through, 2 on a mismatch, 3 when no simulator device is visible.
/// </summary>
internal static class SimulatorChild
{
    /// <summary>Results may differ by the order of float sums and by fused multiply-adds.</summary>
    private const float AbsoluteTolerance = 1e-4f, RelativeTolerance = 1e-3f;

    public static int Main(string[] args)
    {
        var mode = args.Length > 0 ? args[0] : "";
        switch (mode)
        {
            case "kernels":
                return Kernels(args.Skip(1).ToHashSet(StringComparer.Ordinal));
            case "faulty":
                if (Simulator() is not { } device)
                {
                    return NoSimulator();
                }

                FaultyKernels.Run(device);
                return 0;
            case "choice":
                Choice();
                return 0;
            default:
                Console.Error.WriteLine("usage: GpuCnn.Tests.dll kernels [CASE...] | faulty | choice");
                return 1;
        }
    }

    private static OpenCLDevice? Simulator() => OpenCLAccelerator.Devices().FirstOrDefault(d => d.IsSimulator);

    private static int NoSimulator()
    {
        Console.Error.WriteLine("No simulator device among the OpenCL devices: " +
            string.Join(", ", OpenCLAccelerator.Devices().Select(d => $"{d.Name} [{d.Platform}]")));
        return 3;
    }

    private static int Kernels(IReadOnlySet<string> only)
    {
        if (Simulator() is not { } device)
        {
            return NoSimulator();
        }

        var status = 0;
        using var cpu = new CpuAccelerator();
        foreach (var item in KernelCases.All.Where(c => only.Count == 0 || only.Contains(c.Name)))
        {
            Console.WriteLine($"case {item.Name}");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            float[] simulated;
            using (var acc = item.Chunked
                ? new OpenCLAccelerator(device.Index, item.Convolution) { ColumnBudgetFloats = 1 }
                : new OpenCLAccelerator(device.Index, item.Convolution))
            {
                simulated = item.Run(acc);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"simulated {item.Name} {clock.Elapsed.TotalSeconds:F2} s"));
            var expected = item.Run(cpu);
            var bad = Enumerable.Range(0, Math.Min(expected.Length, simulated.Length))
                .Where(i => !Close(simulated[i], expected[i])).ToList();
            if (simulated.Length != expected.Length || bad.Count > 0)
            {
                status = 2;
                var c = CultureInfo.InvariantCulture;
                Console.WriteLine(string.Create(c, $"mismatch {item.Name}: {bad.Count} of {expected.Length} values, ") +
                    string.Join("; ", bad.Take(5).Select(i =>
                        string.Create(c, $"[{i}] {simulated[i]:R} vs CPU {expected[i]:R}"))));
            }
        }

        using (new OpenCLAccelerator(device.Index))
        {
            Console.WriteLine("program-kernels " + string.Join(' ', ProgramKernelNames(device)));
        }

        return status;
    }

    private static bool Close(float value, float expected) =>
        Math.Abs(value - expected) <= AbsoluteTolerance + RelativeTolerance * Math.Abs(expected);

    private static void Choice()
    {
        foreach (var d in OpenCLAccelerator.Devices())
        {
            Console.WriteLine($"device {d.Index} {d.Type} simulator={d.IsSimulator} [{d.Platform}] {d.Name}");
        }

        using (var auto = AcceleratorFactory.Create("auto"))
        {
            Console.WriteLine($"auto {auto.Kind} {auto.Name}");
        }

        if (OpenCLAccelerator.Devices().Count > 0)
        {
            using var preferred = new OpenCLAccelerator();
            Console.WriteLine($"opencl {preferred.Device.Index} {preferred.Name}");
        }
    }

    // CL_PROGRAM_KERNEL_NAMES (OpenCL 1.2): the names the built program defines, separated by ';'. The engine
    // never needs the query, so it is bound here rather than in the engine's bindings.
    private static unsafe string[] ProgramKernelNames(OpenCLDevice device)
    {
        const uint programKernelNames = 0x1168;
        var program = OpenCLProgram.For(device).Program;
        var library = NativeLibrary.Load(OperatingSystem.IsWindows() ? "OpenCL.dll" : "libOpenCL.so.1");
        var query = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)NativeLibrary.GetExport(
            library, "clGetProgramInfo");
        nuint size;
        Cl.Check(query(program, programKernelNames, 0, null, &size), "clGetProgramInfo");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes)
        {
            Cl.Check(query(program, programKernelNames, size, b, null), "clGetProgramInfo");
        }

        return Encoding.ASCII.GetString(bytes).TrimEnd('\0').Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(n => n.Trim()).Order(StringComparer.Ordinal).ToArray();
    }
}
