using System.Text;
using GpuCnn.Kernels.OpenCL;

namespace GpuCnn.Tests.Simulator;

/// <summary>
/// Two deliberately broken kernels, built and launched on a device through the same bindings the engine uses: one
/// reads a neighbour's local-memory slot without a barrier between the write and the read (a race that a CPU
/// driver, which runs a group's work-items one after another, never shows), one writes past the end of its
/// buffer. The simulator tier runs them to prove that its checks report such faults and that the log reader
/// catches the reports.
/// </summary>
internal static unsafe class FaultyKernels
{
    /// <summary>Kernel names, as the simulator's reports name them.</summary>
    public const string RaceKernel = "faulty_local_race";

    /// <summary>See <see cref="RaceKernel"/>.</summary>
    public const string OutOfBoundsKernel = "faulty_write_past_end";

    private const int Group = 16;

    private static readonly string Source = $$"""
        __kernel void {{RaceKernel}}(__global float* out)
        {
            __local float slot[{{Group}}];
            const int lid = get_local_id(0);
            slot[lid] = (float)lid;
            out[get_global_id(0)] = slot[(lid + 1) % {{Group}}];
        }

        __kernel void {{OutOfBoundsKernel}}(__global float* out, int count)
        {
            const int i = get_global_id(0);
            out[i + count] = 1.0f;
        }
        """;

    /// <summary>Builds both kernels on <paramref name="device"/> and runs each once on two work-groups.</summary>
    public static void Run(OpenCLDevice device)
    {
        var handle = device.Handle;
        int status;
        var context = Cl.clCreateContext(null, 1, &handle, 0, 0, &status);
        Cl.Check(status, "clCreateContext");
        var queue = Cl.clCreateCommandQueue(context, handle, 0, &status);
        Cl.Check(status, "clCreateCommandQueue");
        var bytes = Encoding.ASCII.GetBytes(Source);
        nint program;
        fixed (byte* s = bytes)
        {
            var sources = s;
            var length = (nuint)bytes.Length;
            program = Cl.clCreateProgramWithSource(context, 1, &sources, &length, &status);
            Cl.Check(status, "clCreateProgramWithSource");
        }

        Cl.Check(Cl.clBuildProgram(program, 1, &handle, null, 0, 0), "clBuildProgram");
        const int count = 2 * Group;
        var buffer = Cl.clCreateBuffer(context, Cl.MemReadWrite, count * sizeof(float), null, &status);
        Cl.Check(status, "clCreateBuffer");
        Launch(queue, program, RaceKernel, buffer, null);
        var offset = count - 3;
        Launch(queue, program, OutOfBoundsKernel, buffer, offset);
        Cl.Check(Cl.clFinish(queue), "clFinish");
        Cl.clReleaseMemObject(buffer);
        Cl.clReleaseProgram(program);
        Cl.clReleaseCommandQueue(queue);
        Cl.clReleaseContext(context);
    }

    private static void Launch(nint queue, nint program, string name, nint buffer, int? count)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name + '\0');
        int status;
        nint kernel;
        fixed (byte* n = nameBytes)
        {
            kernel = Cl.clCreateKernel(program, n, &status);
        }

        Cl.Check(status, $"clCreateKernel({name})");
        Cl.Check(Cl.clSetKernelArg(kernel, 0, (nuint)sizeof(nint), &buffer), "clSetKernelArg");
        if (count is { } value)
        {
            Cl.Check(Cl.clSetKernelArg(kernel, 1, sizeof(int), &value), "clSetKernelArg");
        }

        nuint global = 2 * Group, local = Group;
        Cl.Check(Cl.clEnqueueNDRangeKernel(queue, kernel, 1, null, &global, &local, 0, null, null),
            "clEnqueueNDRangeKernel");
        Cl.Check(Cl.clFinish(queue), "clFinish");
        Cl.clReleaseKernel(kernel);
    }
}
