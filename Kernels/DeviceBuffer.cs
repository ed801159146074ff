namespace GpuCnn.Kernels;

/// <summary>
/// A block of float32 memory owned by an <see cref="Accelerator"/>. Its contents are reached only through the
/// accelerator's explicit copies; there is no hidden host mirror.
/// </summary>
public abstract class DeviceBuffer
{
    /// <summary>Creates a buffer record for <paramref name="accelerator"/> holding <paramref name="length"/> floats.</summary>
    protected DeviceBuffer(Accelerator accelerator, int length)
    {
        Accelerator = accelerator;
        Length = length;
    }

    /// <summary>The accelerator that owns this buffer.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Number of float32 elements.</summary>
    public int Length { get; }

    /// <summary>True once the buffer went back to its pool; using it then is a bug.</summary>
    public bool IsReleased { get; internal set; }

    /// <summary>Copies the whole buffer to a new host array (synchronises).</summary>
    public float[] ToArray()
    {
        var result = new float[Length];
        Accelerator.CopyToHost(this, result);
        return result;
    }

    /// <summary>Returns the buffer to its accelerator's pool.</summary>
    public void Release() => Accelerator.Release(this);
}
