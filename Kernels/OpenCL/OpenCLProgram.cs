using System.Text;

namespace GpuCnn.Kernels.OpenCL;

/// <summary>
/// The engine's kernels built for one device: a context and one program compiled from every embedded <c>.cl</c>
/// source. Building costs close to a second on some drivers, so each device's program is built once per process
/// and shared by every accelerator on that device; it lives as long as the process.
/// </summary>
internal sealed class OpenCLProgram
{
    private static readonly Dictionary<nint, OpenCLProgram> Cache = [];
    private static readonly Dictionary<nint, OpenCLException> Failures = [];
    private static readonly Lock CacheLock = new();

    private OpenCLProgram(OpenCLDevice device, nint context, nint program, int gemmWorkGroup, int gemmBlock,
        int reduceWorkGroup)
    {
        Device = device;
        Context = context;
        Program = program;
        GemmWorkGroup = gemmWorkGroup;
        GemmRegisterBlock = gemmBlock;
        ReduceWorkGroup = reduceWorkGroup;
    }

    public OpenCLDevice Device { get; }

    /// <summary>The shared cl_context; buffers of every accelerator on the device live in it.</summary>
    public nint Context { get; }

    /// <summary>The built cl_program.</summary>
    public nint Program { get; }

    /// <summary>Threads per side of a GEMM work-group (GEMM_WG).</summary>
    public int GemmWorkGroup { get; }

    /// <summary>Outputs per side of a GEMM work-group's tile (GEMM_TILE).</summary>
    public int GemmTile => GemmWorkGroup * GemmRegisterBlock;

    /// <summary>Outputs per thread per side of a GEMM tile (GEMM_RB): a vector width, 4 or 8.</summary>
    public int GemmRegisterBlock { get; }

    /// <summary>Work-group size of reductions (REDUCE_WG).</summary>
    public int ReduceWorkGroup { get; }

    /// <summary>Reduction depth of a GEMM tile (GEMM_TK).</summary>
    public const int GemmDepth = 16;

    /// <summary>The program for <paramref name="device"/>, built on first use.</summary>
    public static OpenCLProgram For(OpenCLDevice device)
    {
        lock (CacheLock)
        {
            if (Failures.TryGetValue(device.Handle, out var failure))
            {
                // A failed build is not retried: every accelerator on the device would pay for it again.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }

            if (!Cache.TryGetValue(device.Handle, out var program))
            {
                try
                {
                    program = Build(device);
                }
                catch (OpenCLException e)
                {
                    Failures[device.Handle] = e;
                    throw;
                }

                Cache[device.Handle] = program;
            }

            return program;
        }
    }

    /// <summary>The program's source: the shared header, then each op's file, in a fixed order.</summary>
    public static string Source()
    {
        var assembly = typeof(OpenCLProgram).Assembly;
        var names = assembly.GetManifestResourceNames().Where(n => n.EndsWith(".cl", StringComparison.Ordinal))
            .OrderBy(n => n.EndsWith(".Common.cl", StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(n => n, StringComparer.Ordinal);
        var source = new StringBuilder();
        foreach (var name in names)
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            source.Append("// ---- ").Append(name).Append('\n').Append(reader.ReadToEnd()).Append('\n');
        }

        return source.ToString();
    }

    private static unsafe OpenCLProgram Build(OpenCLDevice device)
    {
        // Tile sizes follow the device's limits, never the problem's shape: a 64x64 output tile of 8x8 register
        // blocks (an 8x8 work-group) when the device allows 64 work-items and the tiles fit in local memory, else
        // a 32x32 tile (a 4x4 work-group); reductions use the largest power of two up to 256.
        var (gemm, block) = (8, 8);
        if (device.MaxWorkGroupSize < 64 || 2L * GemmDepth * gemm * block * sizeof(float) > device.LocalMemoryBytes)
        {
            (gemm, block) = (4, 8);
        }

        var reduce = 1;
        while (reduce * 2 <= Math.Min(256, device.MaxWorkGroupSize))
        {
            reduce *= 2;
        }

        var options = $"-cl-std=CL1.2 -DGEMM_WG={gemm} -DGEMM_RB={block} -DGEMM_TK={GemmDepth} " +
            $"-DREDUCE_WG={reduce}";
        if (device.HardwareFma)
        {
            // mad() may compile to a multiply and an add (PoCL does); fma() is one instruction where FMA exists.
            options += " -DGEMM_FMA";
        }

        if (device.CorrectlyRoundedDivideSqrt)
        {
            // Division and square roots round as the CPU backend's do, so optimizer updates agree bit for bit.
            options += " -cl-fp32-correctly-rounded-divide-sqrt";
        }

        var handle = device.Handle;
        int status;
        var context = Cl.clCreateContext(null, 1, &handle, 0, 0, &status);
        Cl.Check(status, "clCreateContext");
        nint program = 0;
        try
        {
            var sourceBytes = Encoding.UTF8.GetBytes(Source());
            fixed (byte* s = sourceBytes)
            {
                var length = (nuint)sourceBytes.Length;
                var sources = s;
                program = Cl.clCreateProgramWithSource(context, 1, &sources, &length, &status);
                Cl.Check(status, "clCreateProgramWithSource");
            }

            var optionBytes = Encoding.ASCII.GetBytes(options + '\0');
            fixed (byte* o = optionBytes)
            {
                status = Cl.clBuildProgram(program, 1, &handle, o, 0, 0);
            }

            if (status != Cl.Success)
            {
                throw new OpenCLException("clBuildProgram", status,
                    $"building the kernels for {device.Name} with '{options}':\n{BuildLog(program, handle)}");
            }
        }
        catch
        {
            if (program != 0)
            {
                Cl.clReleaseProgram(program);
            }

            Cl.clReleaseContext(context);
            throw;
        }

        return new OpenCLProgram(device, context, program, gemm, block, reduce);
    }

    private static unsafe string BuildLog(nint program, nint device)
    {
        nuint size;
        if (Cl.clGetProgramBuildInfo(program, device, Cl.ProgramBuildLog, 0, null, &size) != Cl.Success)
        {
            return "(no build log)";
        }

        var bytes = new byte[(int)size];
        fixed (byte* b = bytes)
        {
            Cl.clGetProgramBuildInfo(program, device, Cl.ProgramBuildLog, size, b, null);
        }

        return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
    }
}
