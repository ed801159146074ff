namespace GpuCnn.Kernels.OpenCL;

/// <summary>Sets a kernel's arguments in order, then enqueues it: <c>new KernelCall(k).Mem(x).Int(n).Launch(...)</c>.
/// A cl_kernel holds its arguments, so a call must not interleave with another call of the same kernel.</summary>
internal unsafe ref struct KernelCall
{
    private readonly nint kernel;
    private uint index;

    public KernelCall(nint kernel) => this.kernel = kernel;

    public KernelCall Mem(DeviceBuffer? buffer) => Mem(buffer is null ? 0 : ((OpenCLBuffer)buffer).Handle);

    public KernelCall Mem(nint memory)
    {
        Set((nuint)sizeof(nint), &memory);
        return this;
    }

    public KernelCall Int(int value)
    {
        Set(sizeof(int), &value);
        return this;
    }

    public KernelCall UInt(uint value)
    {
        Set(sizeof(uint), &value);
        return this;
    }

    public KernelCall Float(float value)
    {
        Set(sizeof(float), &value);
        return this;
    }

    public KernelCall Ints(params ReadOnlySpan<int> values)
    {
        foreach (var value in values)
        {
            Int(value);
        }

        return this;
    }

    /// <summary>Enqueues on a grid of <paramref name="global"/> work-items (each a multiple of the matching
    /// <paramref name="local"/> size) in up to three dimensions.</summary>
    public readonly void Launch(nint queue, ReadOnlySpan<long> global, ReadOnlySpan<long> local)
    {
        var g = stackalloc nuint[3];
        var l = stackalloc nuint[3];
        for (var i = 0; i < global.Length; i++)
        {
            g[i] = (nuint)global[i];
            l[i] = (nuint)local[i];
        }

        Cl.Check(Cl.clEnqueueNDRangeKernel(queue, kernel, (uint)global.Length, null, g, l, 0, null, null),
            "clEnqueueNDRangeKernel");
    }

    private void Set(nuint size, void* value)
    {
        Cl.Check(Cl.clSetKernelArg(kernel, index, size, value), "clSetKernelArg");
        index++;
    }
}
