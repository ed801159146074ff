namespace GpuCnn.Kernels;

/// <summary>
/// Keeps released buffers by exact length so that a training step, after its first, reuses memory instead of
/// allocating. Exact-length buckets suit a network whose shapes repeat every step.
/// </summary>
internal sealed class BufferPool
{
    private readonly Dictionary<int, Stack<DeviceBuffer>> free = new();
    private readonly List<DeviceBuffer> all = [];

    /// <summary>Buffers created by the backend since the accelerator started.</summary>
    public long Created { get; private set; }

    /// <summary>Bytes held by live and pooled buffers together.</summary>
    public long BytesHeld { get; private set; }

    public DeviceBuffer Rent(int length, Func<int, DeviceBuffer> create)
    {
        if (free.TryGetValue(length, out var stack) && stack.Count > 0)
        {
            var reused = stack.Pop();
            reused.IsReleased = false;
            return reused;
        }

        Created++;
        BytesHeld += (long)length * sizeof(float);
        var buffer = create(length);
        all.Add(buffer);
        return buffer;
    }

    public void Return(DeviceBuffer buffer)
    {
        if (buffer.IsReleased)
        {
            throw new InvalidOperationException($"A buffer of {buffer.Length} floats was released twice.");
        }

        buffer.IsReleased = true;
        if (!free.TryGetValue(buffer.Length, out var stack))
        {
            stack = new Stack<DeviceBuffer>();
            free[buffer.Length] = stack;
        }

        stack.Push(buffer);
    }

    /// <summary>Every buffer ever created, live or pooled, marked released; the pool is empty afterwards.</summary>
    public IEnumerable<DeviceBuffer> Drain()
    {
        foreach (var buffer in all)
        {
            buffer.IsReleased = true;
        }

        var result = all.ToArray();
        all.Clear();
        free.Clear();
        return result;
    }
}
