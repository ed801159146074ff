using System.Text;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.OpenCL;

/// <summary>
/// An OpenCL device: buffers in the device's memory, one in-order command queue, and every op as a kernel of the
/// device's shared program. Ops only enqueue; <see cref="Accelerator.CopyToHost"/>,
/// <see cref="Accelerator.Synchronize"/> and <see cref="Accelerator.SumOfSquares"/> wait for them.
/// </summary>
public sealed unsafe class OpenCLAccelerator : Accelerator
{
    private static readonly Lazy<IReadOnlyList<OpenCLDevice>> AllDevices = new(OpenCLDevice.Enumerate);

    private readonly OpenCLDevice device;
    private readonly OpenCLProgram program;
    private readonly Dictionary<string, nint> kernels = [];
    private readonly float[] partialsHost = new float[SumOfSquaresGroups];
    private readonly OpenCLConvolution convolution;
    private nint queue;
    private nint scratch;
    private long scratchFloats;
    private long deviceBytes;

    private const int SumOfSquaresGroups = 64;


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

    /// <summary>Opens the preferred device: the first GPU, else the first device of any type.</summary>
    public OpenCLAccelerator()
        : this(PreferredDeviceIndex() ?? 0)
    {
    }

    /// <summary>Opens the preferred device, computing convolutions as <paramref name="convolution"/> says.</summary>
    public OpenCLAccelerator(OpenCLConvolution convolution)
        : this(PreferredDeviceIndex() ?? 0, convolution)
    {
    }

    /// <summary>The im2col path unfolds at most this many floats (64 MiB) per launch, plus one weight-gradient
    /// partial per image of the chunk, so its scratch stays bounded whatever the batch. Tests shrink it to run
    /// many chunks.</summary>
    internal long ColumnBudgetFloats { get; init; } = 1L << 24;

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

    /// <summary>Index of the first GPU among <see cref="Devices"/>, or null when there is none.</summary>
    public static int? GpuDeviceIndex() =>
        Devices().FirstOrDefault(d => d.Type == OpenCLDeviceType.Gpu)?.Index;

    /// <summary>The full program source the backend builds, for inspection.</summary>
    public static string ProgramSource() => OpenCLProgram.Source();

    private static OpenCLConvolution ConvolutionFromEnvironment() =>
        Environment.GetEnvironmentVariable("GPUCNN_OPENCL_CONV")?.Trim().ToLowerInvariant() switch
        {
            null or "" or "auto" => OpenCLConvolution.Auto,
            "implicit" => OpenCLConvolution.ImplicitGemm,
            "im2col" => OpenCLConvolution.Im2col,
            var other => throw new ArgumentException(
                $"GPUCNN_OPENCL_CONV is '{other}'; use 'implicit', 'im2col' or 'auto' (or unset it)."),
        };

    private static int? PreferredDeviceIndex() => GpuDeviceIndex() ?? (Devices().Count > 0 ? 0 : null);

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

    /// <inheritdoc />
    protected override void FillCore(DeviceBuffer buffer, float value, int count) =>
        Elementwise(Call("buffer_fill").Mem(buffer).Float(value).Int(count), count);

    /// <inheritdoc />
    protected override void CopyCore(DeviceBuffer source, DeviceBuffer destination, int count) =>
        Elementwise(Call("buffer_copy").Mem(source).Mem(destination).Int(count), count);

    /// <inheritdoc />
    protected override void AddIntoCore(DeviceBuffer source, DeviceBuffer destination, int count) =>
        Elementwise(Call("buffer_add").Mem(source).Mem(destination).Int(count), count);

    /// <inheritdoc />
    protected override double SumOfSquaresCore(DeviceBuffer buffer, int count)
    {
        if (count == 0)
        {
            return 0;
        }

        var wg = program.ReduceWorkGroup;
        var groups = (int)Math.Min(SumOfSquaresGroups, Groups(count, wg));
        var partials = Scratch(SumOfSquaresGroups);
        Call("buffer_sum_of_squares").Mem(buffer).Mem(partials).Int(count).Launch(queue, [groups * wg], [wg]);
        fixed (float* h = partialsHost)
        {
            Cl.Check(Cl.clEnqueueReadBuffer(queue, partials, 1, 0, (nuint)groups * sizeof(float), h, 0, null, null),
                "clEnqueueReadBuffer");
        }

        double sum = 0;
        for (var i = 0; i < groups; i++)
        {
            sum += partialsHost[i];
        }

        return sum;
    }

    /// <inheritdoc />
    protected override void ScaleCore(DeviceBuffer buffer, float scale, int count) =>
        Elementwise(Call("buffer_scale").Mem(buffer).Float(scale).Int(count), count);

    /// <inheritdoc />
    protected override void Conv2dForwardCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y)
    {
        if (!UseIm2col(backwardData: false))
        {
            var call = Geometry(Call("conv2d_forward"), g).Mem(x).Mem(w).Mem(b).Int(b is null ? 0 : 1).Mem(y);
            Tiled(call, g.KPerGroup, g.N * g.P * g.Q, g.Groups);
            return;
        }

        // y[n, group] (Kg x PQ) = w[group] (Kg x CRS) * col[n] (CRS x PQ), one product per image of the chunk.
        int kg = g.KPerGroup, crs = g.CPerGroup * g.R * g.S, pq = g.P * g.Q;
        var images = ChunkImages(g.N, (long)crs * pq);
        var col = Scratch((long)images * crs * pq);
        for (var n0 = 0; n0 < g.N; n0 += images)
        {
            var count = Math.Min(images, g.N - n0);
            for (var group = 0; group < g.Groups; group++)
            {
                Im2col(g, x, col, 0, n0, count, group);
                Tiled(Call("gemm_nn").Int(kg).Int(pq).Int(crs).Float(1f).Mem(w).Int(group * kg * crs).Int(0)
                    .Mem(col).Int(0).Int(crs * pq).Float(0f).Mem(y).Int((n0 * g.K + group * kg) * pq)
                    .Int(g.K * pq), kg, pq, count);
            }
        }

        if (b is not null)
        {
            BiasAddForwardCore(y, b, g.N, g.K, pq);
        }
    }

    /// <inheritdoc />
    protected override void Conv2dBackwardDataCore(
        in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        if (!UseIm2col(backwardData: true))
        {
            var call = Geometry(Call("conv2d_backward_data"), g).Mem(dy).Mem(w).Mem(dx);
            Tiled(call, g.CPerGroup, g.N * g.H * g.W, g.Groups);
            return;
        }

        // col[n] (CRS x PQ) = w[group]^T (CRS x Kg) * dy[n, group] (Kg x PQ), then col2im gathers into dx.
        int kg = g.KPerGroup, crs = g.CPerGroup * g.R * g.S, pq = g.P * g.Q;
        var images = ChunkImages(g.N, (long)crs * pq);
        var col = Scratch((long)images * crs * pq);
        for (var n0 = 0; n0 < g.N; n0 += images)
        {
            var count = Math.Min(images, g.N - n0);
            for (var group = 0; group < g.Groups; group++)
            {
                Tiled(Call("gemm_tn").Int(crs).Int(pq).Int(kg).Float(1f).Mem(w).Int(group * kg * crs).Int(0)
                    .Mem(dy).Int((n0 * g.K + group * kg) * pq).Int(g.K * pq).Float(0f).Mem(col).Int(0)
                    .Int(crs * pq), crs, pq, count);
                Elementwise(Geometry(Call("conv2d_col2im"), g).Mem(col).Mem(dx).Int(n0).Int(count).Int(group),
                    count * g.CPerGroup * g.H * g.W);
            }
        }
    }

    /// <inheritdoc />
    protected override void Conv2dBackwardFilterCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        if (UseIm2col(backwardData: false))
        {
            Conv2dBackwardFilterIm2col(g, x, dy, dw);
        }
        else
        {
            Conv2dBackwardFilterImplicit(g, x, dy, dw);
        }

        if (db is not null)
        {
            BiasAddBackwardCore(dy, db, g.N, g.K, g.P * g.Q);
        }
    }

    private void Conv2dBackwardFilterImplicit(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw)
    {
        // The product is small (K/G x C/G*R*S) and its reduction long (N*P*Q): split the reduction until the
        // grid has a few work-groups per compute unit, each split at least eight tiles deep.
        int rows = g.KPerGroup, columns = g.CPerGroup * g.R * g.S, depth = g.N * g.P * g.Q;
        var tiles = Groups(rows, program.GemmTile) * Groups(columns, program.GemmTile) * g.Groups;
        var wanted = Groups(4L * device.ComputeUnits, tiles);
        var splits = (int)Math.Clamp(wanted, 1, Groups(depth, 8 * OpenCLProgram.GemmDepth));
        var chunk = (int)Groups(Groups(depth, splits), OpenCLProgram.GemmDepth) * OpenCLProgram.GemmDepth;
        splits = (int)Groups(depth, chunk);
        var target = splits == 1 ? Mem(dw) : Scratch((long)splits * g.WeightLength);
        var call = Geometry(Call("conv2d_backward_filter"), g).Mem(x).Mem(dy).Mem(target).Int(splits).Int(chunk);
        Tiled(call, rows, columns, g.Groups * splits);
        if (splits > 1)
        {
            Elementwise(Call("conv2d_sum_partials").Mem(target).Mem(dw).Int(splits).Int(g.WeightLength),
                g.WeightLength);
        }
    }

    private void Conv2dBackwardFilterIm2col(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw)
    {
        // partial[n, group] (Kg x CRS) = dy[n, group] (Kg x PQ) * col[n]^T (PQ x CRS), one product per image, then
        // conv2d_sum_partials adds the chunk's partials into dw in image order, so the result does not depend on
        // scheduling. Scratch holds the partials (a weight per image) first, then the chunk's columns.
        int kg = g.KPerGroup, crs = g.CPerGroup * g.R * g.S, pq = g.P * g.Q, weights = g.WeightLength;
        var images = ChunkImages(g.N, (long)crs * pq + weights);
        var colOffset = images * weights;
        var scratch = Scratch((long)images * ((long)crs * pq + weights));
        for (var n0 = 0; n0 < g.N; n0 += images)
        {
            var count = Math.Min(images, g.N - n0);
            for (var group = 0; group < g.Groups; group++)
            {
                Im2col(g, x, scratch, colOffset, n0, count, group);
                Tiled(Call("gemm_nt").Int(kg).Int(crs).Int(pq).Float(1f).Mem(dy).Int((n0 * g.K + group * kg) * pq)
                    .Int(g.K * pq).Mem(scratch).Int(colOffset).Int(crs * pq).Float(0f).Mem(scratch)
                    .Int(group * kg * crs).Int(weights), kg, crs, count);
            }

            Elementwise(Call("conv2d_sum_partials").Mem(scratch).Mem(dw).Int(count).Int(weights), weights);
        }
    }

    // The measured rule (table at the top of Conv2d.cl): implicit GEMM for forward and backward-weight, where it
    // batches all images into one product and needs no unfolding pass; im2col + col2im for backward-data, whose
    // implicit form wastes most of each 64-row tile when C/G is small and decodes a strided gather per element.
    private bool UseIm2col(bool backwardData) => convolution switch
    {
        OpenCLConvolution.Im2col => true,
        OpenCLConvolution.ImplicitGemm => false,
        _ => backwardData,
    };

    // Images per im2col chunk: as many as fit the column budget, at least one.
    private int ChunkImages(int n, long floatsPerImage) =>
        (int)Math.Clamp(ColumnBudgetFloats / Math.Max(floatsPerImage, 1), 1, Math.Max(n, 1));

    private void Im2col(in Conv2dGeometry g, DeviceBuffer x, nint col, int colOffset, int n0, int images, int group)
    {
        var count = images * g.CPerGroup * g.R * g.S * g.P * g.Q;
        Elementwise(Geometry(Call("conv2d_im2col"), g).Mem(x).Mem(col).Int(colOffset).Int(n0).Int(images)
            .Int(group), count);
    }

    /// <inheritdoc />
    protected override void MaxPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        Elementwise(Pool(Call("max_pool_forward"), g, g.OutputLength).Mem(x).Mem(y), g.OutputLength);

    /// <inheritdoc />
    protected override void MaxPool2dBackwardCore(
        in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx) =>
        Elementwise(Pool(Call("max_pool_backward"), g, g.InputLength).Mem(x).Mem(dy).Mem(dx), g.InputLength);

    /// <inheritdoc />
    protected override void AvgPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        Elementwise(Pool(Call("avg_pool_forward"), g, g.OutputLength).Mem(x).Mem(y), g.OutputLength);

    /// <inheritdoc />
    protected override void AvgPool2dBackwardCore(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        Elementwise(Pool(Call("avg_pool_backward"), g, g.InputLength).Mem(dy).Mem(dx), g.InputLength);

    /// <inheritdoc />
    protected override void ActivationForwardCore(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count) =>
        Elementwise(Call("activation_forward").Int(ActivationCode(kind)).Mem(x).Mem(y).Int(count), count);

    /// <inheritdoc />
    protected override void ActivationBackwardCore(
        ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        Elementwise(Call("activation_backward").Int(ActivationCode(kind)).Mem(x).Mem(y).Mem(dy).Mem(dx).Int(count),
            count);

    // The kind codes Activation.cl switches on; a kind without a code must fail here, not reach the device.
    private static int ActivationCode(ActivationKind kind) => kind switch
    {
        ActivationKind.Relu => 0,
        ActivationKind.Tanh => 1,
        ActivationKind.Sigmoid => 2,
        _ => throw ActivationKinds.Unknown(kind, nameof(kind)),
    };

    /// <inheritdoc />
    protected override void SoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns) =>
        PerRow(Call("softmax_forward").Mem(x).Mem(y).Int(columns), rows, columns);

    /// <inheritdoc />
    protected override void SoftmaxBackwardCore(
        DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns) =>
        PerRow(Call("softmax_backward").Mem(y).Mem(dy).Mem(dx).Int(columns), rows, columns);

    /// <inheritdoc />
    protected override void DropoutForwardCore(
        DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed) =>
        Elementwise(Call("dropout_forward").Mem(x).Mem(mask).Mem(y).Int(count).Float(p).Float(1f / (1f - p))
            .UInt((uint)seed).UInt((uint)(seed >> 32)), count);

    /// <inheritdoc />
    protected override void DropoutBackwardCore(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count) =>
        Elementwise(Call("dropout_backward").Mem(mask).Mem(dy).Mem(dx).Int(count), count);

    /// <inheritdoc />
    protected override void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a,
        DeviceBuffer b, float beta, DeviceBuffer c)
    {
        var name = (transA, transB) switch
        {
            (false, false) => "gemm_nn",
            (false, true) => "gemm_nt",
            (true, false) => "gemm_tn",
            _ => "gemm_tt",
        };
        Tiled(Call(name).Int(m).Int(n).Int(k).Float(alpha).Mem(a).Int(0).Int(0).Mem(b).Int(0).Int(0).Float(beta)
            .Mem(c).Int(0).Int(0), m, n, 1);
    }

    /// <inheritdoc />
    protected override void BiasAddForwardCore(
        DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner)
    {
        var count = outer * channels * inner;
        Elementwise(Call("bias_add_forward").Mem(y).Mem(bias).Int(channels).Int(inner).Int(count), count);
    }

    /// <inheritdoc />
    protected override void BiasAddBackwardCore(
        DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner)
    {
        if (channels == 0)
        {
            return;
        }

        if (inner == 1)
        {
            Elementwise(Call("bias_backward_rows").Mem(dy).Mem(db).Int(outer).Int(channels), channels);
            return;
        }

        var wg = program.ReduceWorkGroup;
        Call("bias_backward_planes").Mem(dy).Mem(db).Int(outer).Int(channels).Int(inner)
            .Launch(queue, [(long)channels * wg], [wg]);
    }

    /// <inheritdoc />
    protected override void SoftmaxCrossEntropyCore(DeviceBuffer logits, DeviceBuffer labels, int rows, int classes,
        float gradScale, DeviceBuffer dlogits, DeviceBuffer stats)
    {
        var wg = program.ReduceWorkGroup;
        Call("softmax_cross_entropy").Mem(logits).Mem(labels).Int(rows).Int(classes).Float(gradScale).Mem(dlogits)
            .Mem(stats).Launch(queue, [wg], [wg]);
    }

    /// <inheritdoc />
    protected override void SgdUpdateCore(
        in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count) =>
        Elementwise(Call("sgd_update").Mem(param).Mem(grad).Mem(velocity).Int(count).Float(s.LearningRate)
            .Float(s.Momentum).Float(s.Dampening).Float(s.WeightDecay).Int(s.Nesterov ? 1 : 0)
            .Int(s.FirstStep ? 1 : 0), count);

    /// <inheritdoc />
    protected override void AdamUpdateCore(
        in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count)
    {
        // The bias corrections depend only on the step: computed here in double, as the CPU backend does.
        var correction1 = 1.0 - Math.Pow(s.Beta1, s.Step);
        var correction2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(s.Beta2, s.Step));
        var stepSize = (float)(s.LearningRate / correction1);
        Elementwise(Call("adam_update").Mem(param).Mem(grad).Mem(m).Mem(v).Int(count).Float(s.Beta1)
            .Float(s.Beta2).Float(s.Epsilon).Float(s.WeightDecay).Float(stepSize).Float(correction2Sqrt), count);
    }

    /// <inheritdoc />
    protected override void AdadeltaUpdateCore(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad,
        DeviceBuffer squareAvg, DeviceBuffer accDelta, int count) =>
        Elementwise(Call("adadelta_update").Mem(param).Mem(grad).Mem(squareAvg).Mem(accDelta).Int(count)
            .Float(s.LearningRate).Float(s.Rho).Float(s.Epsilon).Float(s.WeightDecay), count);

    private static nint Mem(DeviceBuffer buffer) => ((OpenCLBuffer)buffer).Handle;

    private static long Groups(long count, long size) => (count + size - 1) / size;

    private static KernelCall Geometry(KernelCall call, in Conv2dGeometry g) =>
        call.Ints(g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH,
            g.DilationW, g.Groups, g.P, g.Q);

    private static KernelCall Pool(KernelCall call, in Pool2dGeometry g, int count) =>
        call.Ints(g.H, g.W, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW, g.P, g.Q, count);

    private static KernelCall Pad(KernelCall call, in Pad2dGeometry g, int count) =>
        call.Ints(g.H, g.W, g.Top, g.Left, g.Bottom, g.Right, (int)g.Mode).Float(g.Value).Int(count);

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

    /// <inheritdoc />
    protected override void BatchNormForwardTrainingCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean,
        DeviceBuffer runningVar, float momentum, float eps)
    {
        var wg = program.ReduceWorkGroup;
        Call("batch_norm_forward_training").Mem(x).Mem(gamma).Int(gamma is null ? 0 : 1).Mem(beta)
            .Int(beta is null ? 0 : 1).Mem(y).Mem(saveMean).Mem(saveInvStd).Mem(runningMean).Mem(runningVar)
            .Ints(g.N, g.C, g.Inner).Float(momentum).Float(eps).Launch(queue, [(long)g.C * wg], [wg]);
    }

    /// <inheritdoc />
    protected override void BatchNormForwardInferenceCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps, DeviceBuffer y) =>
        Elementwise(Call("batch_norm_forward_inference").Mem(x).Mem(gamma).Int(gamma is null ? 0 : 1).Mem(beta)
            .Int(beta is null ? 0 : 1).Mem(runningMean).Mem(runningVar).Mem(y).Int(g.C).Int(g.Inner).Float(eps)
            .Int(g.Length), g.Length);

    /// <inheritdoc />
    protected override void BatchNormBackwardCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
        DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma,
        DeviceBuffer? dbeta)
    {
        var wg = program.ReduceWorkGroup;
        Call("batch_norm_backward").Mem(x).Mem(dy).Mem(gamma).Int(gamma is null ? 0 : 1).Mem(saveMean)
            .Mem(saveInvStd).Mem(dx).Int(dx is null ? 0 : 1).Mem(dgamma).Int(dgamma is null ? 0 : 1).Mem(dbeta)
            .Int(dbeta is null ? 0 : 1).Ints(g.N, g.C, g.Inner).Launch(queue, [(long)g.C * wg], [wg]);
    }

    /// <inheritdoc />
    protected override void LrnForwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale) =>
        Elementwise(Call("lrn_forward").Mem(x).Mem(y).Mem(scale).Ints(g.C, g.Inner, g.Size).Float(g.Alpha)
            .Float(g.Beta).Float(g.K).Int(g.Length), g.Length);

    /// <inheritdoc />
    protected override void LrnBackwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale,
        DeviceBuffer dy, DeviceBuffer dx) =>
        Elementwise(Call("lrn_backward").Mem(x).Mem(y).Mem(scale).Mem(dy).Mem(dx).Ints(g.C, g.Inner, g.Size)
            .Float(g.Alpha).Float(g.Beta).Int(g.Length), g.Length);

    // ---- padding and concatenation ----

    /// <inheritdoc />
    protected override void Pad2dForwardCore(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y) =>
        Elementwise(Pad(Call("pad2d_forward"), g, g.OutputLength).Mem(x).Mem(y), g.OutputLength);

    /// <inheritdoc />
    protected override void Pad2dBackwardCore(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx) =>
        Elementwise(Pad(Call("pad2d_backward"), g, g.InputLength).Mem(dy).Mem(dx), g.InputLength);

    /// <inheritdoc />
    protected override void ChannelCopyCore(in ChannelCopyGeometry g, DeviceBuffer src, DeviceBuffer dst,
        bool accumulate) =>
        Elementwise(Call("channel_copy").Mem(src).Mem(dst).Ints(g.Inner, g.Channels, g.SrcChannels, g.SrcOffset,
            g.DstChannels, g.DstOffset, accumulate ? 1 : 0, g.Count), g.Count);
}
