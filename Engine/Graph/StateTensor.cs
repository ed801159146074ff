using GpuCnn.Kernels;

namespace GpuCnn.Engine;

/// <summary>
/// A tensor that belongs to the model without being learned — PyTorch's buffers, such as a batch norm's
/// <c>bn1.running_mean</c>. Checkpoints save and load it by name with the parameters; optimizers never see it.
/// </summary>
public sealed class StateTensor
{
    internal StateTensor(string name, Shape shape, DeviceBuffer value)
    {
        Name = name;
        Shape = shape;
        Value = value;
    }

    /// <summary>Dotted name, e.g. <c>bn1.running_var</c>.</summary>
    public string Name { get; }

    /// <summary>Full shape.</summary>
    public Shape Shape { get; }

    /// <summary>Elements.</summary>
    public int Length => Shape.Size;

    /// <summary>The values on the device.</summary>
    public DeviceBuffer Value { get; }

    /// <summary>Copies the values to the host.</summary>
    public float[] ToArray()
    {
        var data = new float[Length];
        Value.Accelerator.CopyToHost(Value, data);
        return data;
    }

    /// <summary>Overwrites the values from the host.</summary>
    public void Load(ReadOnlySpan<float> data)
    {
        if (data.Length != Length)
        {
            throw new ArgumentException($"State '{Name}' of shape {Shape} needs {Length} values, got {data.Length}.");
        }

        Value.Accelerator.CopyFromHost(data, Value);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Shape}";
}
