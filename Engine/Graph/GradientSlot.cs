using GpuCnn.Kernels;

namespace GpuCnn.Engine;

/// <summary>
/// A node's output-gradient buffer and whether it still owes a zeroing. Backward marks every activation gradient
/// instead of filling it with zeros; the first node to write one either overwrites all of it (a kernel that stores
/// rather than adds) or, through <see cref="Node"/>'s accessors, has the zeros written first. A view shares its
/// input's slot, as it shares its buffer.
/// </summary>
internal sealed class GradientSlot(DeviceBuffer buffer)
{
    /// <summary>The gradient buffer.</summary>
    public DeviceBuffer Buffer { get; } = buffer;

    /// <summary>True while the buffer's contents are stale and stand for zeros.</summary>
    public bool ZeroPending { get; set; }

    /// <summary>Writes the owed zeros, if any: for a reader, or a writer that adds.</summary>
    public DeviceBuffer Materialize()
    {
        if (ZeroPending)
        {
            ZeroPending = false;
            Buffer.Accelerator.Fill(Buffer, 0f);
        }

        return Buffer;
    }
}
