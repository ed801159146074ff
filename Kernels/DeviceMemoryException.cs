namespace GpuCnn.Kernels;

/// <summary>A buffer does not fit in the device's memory; the message names the bytes needed and the limits.</summary>
public sealed class DeviceMemoryException : Exception
{
    /// <summary>Creates the exception for a request of <paramref name="bytesNeeded"/> bytes.</summary>
    public DeviceMemoryException(string message, long bytesNeeded, Exception? inner = null)
        : base(message, inner) => BytesNeeded = bytesNeeded;

    /// <summary>The size of the allocation that failed, in bytes.</summary>
    public long BytesNeeded { get; }
}
