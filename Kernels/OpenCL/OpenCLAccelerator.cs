using System.Text;

namespace GpuCnn.Kernels.OpenCL;

/// <summary>
/// An OpenCL device: buffers in the device's memory, one in-order command queue, and every op as a kernel of the
/// device's shared program. Ops only enqueue; <see cref="Accelerator.CopyToHost"/>,
/// <see cref="Accelerator.Synchronize"/> and <see cref="Accelerator.SumOfSquares"/> wait for them.
/// </summary>
/// <remarks>This file holds the device plumbing (buffers, queue, program, launch shapes, scratch); each op's
/// launches are in <c>Kernels/Ops/&lt;Op&gt;/&lt;Op&gt;.OpenCLAccelerator.cs</c>, next to its <c>.cl</c> source.
/// </remarks>
public sealed unsafe partial class OpenCLAccelerator : Accelerator
{
    private static readonly Lazy<IReadOnlyList<OpenCLDevice>> AllDevices = new(OpenCLDevice.Enumerate);

    private readonly OpenCLDevice device;
    private readonly OpenCLProgram program;
    private readonly Dictionary<string, nint> kernels = [];
    private nint queue;
    private nint scratch;
    private long scratchFloats;
    private long deviceBytes;

    /// <summary>Opens device <paramref name="deviceIndex"/> of <see cref="Devices"/>, computing convolutions as
    /// <paramref name="convolution"/> says.</summary>
    public OpenCLAccelerator(int deviceIndex, OpenCLConvolution convolution = OpenCLConvolution.Auto)
    {
        this.convolution = convolution == OpenCLConvolution.Auto ? ConvolutionFromEnvironment() : convolution;
        var devices = Devices();
        if (devices.Count == 0)
        {
            throw new InvalidOperationException(
                "No OpenCL platform with a device was found; install a driver (on Debian: pocl-opencl-icd).");
        }

        if ((uint)deviceIndex >= (uint)devices.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(deviceIndex), deviceIndex,
                $"There are {devices.Count} OpenCL devices (0 to {devices.Count - 1}); see 'gpucnn devices'.");
        }

        device = devices[deviceIndex];
        program = OpenCLProgram.For(device);
        int status;
        queue = Cl.clCreateCommandQueue(program.Context, device.Handle, 0, &status);
        Cl.Check(status, "clCreateCommandQueue");
    }

    /// <summary>Opens the preferred device: the first GPU that is not a simulator, else the first device that is
    /// not a simulator, else the first device.</summary>
    public OpenCLAccelerator()
        : this(PreferredDeviceIndex() ?? 0)
    {
    }

    /// <summary>Opens the preferred device, computing convolutions as <paramref name="convolution"/> says.</summary>
    public OpenCLAccelerator(OpenCLConvolution convolution)
        : this(PreferredDeviceIndex() ?? 0, convolution)
    {
    }

    /// <summary>The device this accelerator runs on.</summary>
    public OpenCLDevice Device => device;

    /// <inheritdoc />
    public override string Name => $"OpenCL {device.Name} ({device.Platform})";

    /// <inheritdoc />
    public override AcceleratorKind Kind => AcceleratorKind.OpenCL;

    /// <inheritdoc />
    public override long MemoryBytes => device.GlobalMemoryBytes;

    /// <summary>Every OpenCL device of every platform; empty when there is no loader or platform.</summary>
    public static IReadOnlyList<OpenCLDevice> Devices() => AllDevices.Value;

    /// <summary>Index of the first GPU among <see cref="Devices"/> that is not a simulator (the device
    /// <c>--device auto</c> takes), or null when there is none.</summary>
    public static int? GpuDeviceIndex() => OpenCLDevice.AutoChoice(Devices());

    /// <summary>The full program source the backend builds, for inspection.</summary>
    public static string ProgramSource() => OpenCLProgram.Source();

    private static int? PreferredDeviceIndex() => OpenCLDevice.PreferredChoice(Devices());

    /// <inheritdoc />
    protected override DeviceBuffer AllocateCore(int length) => new OpenCLBuffer(this, length, CreateMemory(length));

    /// <inheritdoc />
    protected override void FreeCore(DeviceBuffer buffer)
    {
        var cl = (OpenCLBuffer)buffer;
        if (cl.Handle != 0)
        {
            Cl.Check(Cl.clReleaseMemObject(cl.Handle), "clReleaseMemObject");
            cl.Handle = 0;
            deviceBytes -= (long)buffer.Length * sizeof(float);
        }
    }

    /// <inheritdoc />
    protected override void DisposeCore()
    {
        // Work in flight may still read the buffers just released; wait before the queue goes.
        Cl.clFinish(queue);
        foreach (var kernel in kernels.Values)
        {
            Cl.clReleaseKernel(kernel);
        }

        kernels.Clear();
        if (scratch != 0)
        {
            Cl.clReleaseMemObject(scratch);
            scratch = 0;
        }

        Cl.clReleaseCommandQueue(queue);
        queue = 0;
    }

    /// <inheritdoc />
    protected override void CopyFromHostCore(ReadOnlySpan<float> source, DeviceBuffer destination, int offset)
    {
        if (source.IsEmpty)
        {
            return;
        }

        // Blocking: the span's memory is only ours for the duration of the call.
        fixed (float* s = source)
        {
            Cl.Check(Cl.clEnqueueWriteBuffer(queue, Mem(destination), 1, (nuint)offset * sizeof(float),
                (nuint)source.Length * sizeof(float), s, 0, null, null), "clEnqueueWriteBuffer");
        }
    }

    /// <inheritdoc />
    protected override void CopyToHostCore(DeviceBuffer source, Span<float> destination, int offset)
    {
        if (destination.IsEmpty)
        {
            SynchronizeCore();
            return;
        }

        fixed (float* d = destination)
        {
            Cl.Check(Cl.clEnqueueReadBuffer(queue, Mem(source), 1, (nuint)offset * sizeof(float),
                (nuint)destination.Length * sizeof(float), d, 0, null, null), "clEnqueueReadBuffer");
        }
    }

    /// <inheritdoc />
    protected override void SynchronizeCore() => Cl.Check(Cl.clFinish(queue), "clFinish");

    private static nint Mem(DeviceBuffer buffer) => ((OpenCLBuffer)buffer).Handle;

    private static long Groups(long count, long size) => (count + size - 1) / size;

    private KernelCall Call(string name)
    {
        if (!kernels.TryGetValue(name, out var kernel))
        {
            var bytes = Encoding.ASCII.GetBytes(name + '\0');
            int status;
            fixed (byte* b = bytes)
            {
                kernel = Cl.clCreateKernel(program.Program, b, &status);
            }

            Cl.Check(status, $"clCreateKernel({name})");
            kernels[name] = kernel;
        }

        return new KernelCall(kernel);
    }

    // One work-item per element, in groups of the reduction size (a power of two the device allows).
    private void Elementwise(KernelCall call, int count)
    {
        if (count > 0)
        {
            var wg = program.ReduceWorkGroup;
            call.Launch(queue, [Groups(count, wg) * wg], [wg]);
        }
    }

    // One work-group per row.
    private void PerRow(KernelCall call, int rows, int columns)
    {
        if (rows > 0 && columns > 0)
        {
            var wg = program.ReduceWorkGroup;
            call.Launch(queue, [(long)rows * wg], [wg]);
        }
    }

    // A GEMM-shaped kernel: one work-group per GEMM_TILE x GEMM_TILE output tile, `batch` tiles deep.
    private void Tiled(KernelCall call, int rows, int columns, int batch)
    {
        if (rows > 0 && columns > 0 && batch > 0)
        {
            int tile = program.GemmTile, wg = program.GemmWorkGroup;
            call.Launch(queue, [Groups(columns, tile) * wg, Groups(rows, tile) * wg, batch], [wg, wg, 1]);
        }
    }

    private nint CreateMemory(long floats)
    {
        var bytes = floats * sizeof(float);
        if (bytes > device.MaxAllocationBytes || deviceBytes + bytes > device.GlobalMemoryBytes)
        {
            throw OutOfMemory(bytes, null);
        }

        int status;
        var memory = Cl.clCreateBuffer(program.Context, Cl.MemReadWrite, (nuint)bytes, null, &status);
        if (status is -4 or -5 or -6 or -61)
        {
            throw OutOfMemory(bytes, new OpenCLException("clCreateBuffer", status));
        }

        Cl.Check(status, "clCreateBuffer");
        deviceBytes += bytes;
        return memory;
    }

    private DeviceMemoryException OutOfMemory(long bytes, Exception? inner) => new(
        $"{Name} cannot allocate a buffer of {bytes:N0} bytes: {deviceBytes:N0} bytes are in use of " +
        $"{device.GlobalMemoryBytes:N0} bytes of global memory, and one buffer may hold at most " +
        $"{device.MaxAllocationBytes:N0} bytes (CL_DEVICE_MAX_MEM_ALLOC_SIZE). Use a smaller model or batch, " +
        "or a device with more memory.", bytes, inner);

    // Grow-only working memory for partial results; the in-order queue makes reuse across ops safe.
    private nint Scratch(long floats)
    {
        if (floats > scratchFloats)
        {
            if (scratch != 0)
            {
                Cl.Check(Cl.clReleaseMemObject(scratch), "clReleaseMemObject");
                deviceBytes -= scratchFloats * sizeof(float);
                scratch = 0;
                scratchFloats = 0;
            }

            scratch = CreateMemory(floats);
            scratchFloats = floats;
        }

        return scratch;
    }
}
