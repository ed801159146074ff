using GpuCnn.Kernels;

namespace GpuCnn.Engine;

/// <summary>A learnable tensor with its gradient, named as PyTorch names it (<c>conv1.weight</c>).</summary>
public sealed class Parameter
{
    internal Parameter(string name, Shape shape, DeviceBuffer value, DeviceBuffer grad)
    {
        Name = name;
        Shape = shape;
        Value = value;
        Grad = grad;
    }

    /// <summary>Dotted name, e.g. <c>fc1.bias</c>.</summary>
    public string Name { get; }

    /// <summary>Full shape, e.g. (6, 1, 5, 5).</summary>
    public Shape Shape { get; }

    /// <summary>Elements.</summary>
    public int Length => Shape.Size;

    /// <summary>The values on the device.</summary>
    public DeviceBuffer Value { get; }

    /// <summary>The accumulated gradient on the device.</summary>
    public DeviceBuffer Grad { get; }

    /// <summary>False freezes the parameter: backward leaves its gradient alone and optimizers skip it.</summary>
    public bool RequiresGrad { get; set; } = true;

    /// <summary>Copies the values to the host.</summary>
    public float[] ToArray()
    {
        var data = new float[Length];
        Value.Accelerator.CopyToHost(Value, data);
        return data;
    }

    /// <summary>Copies the gradient to the host.</summary>
    public float[] GradToArray()
    {
        var data = new float[Length];
        Grad.Accelerator.CopyToHost(Grad, data);
        return data;
    }

    /// <summary>Overwrites the values from the host.</summary>
    public void Load(ReadOnlySpan<float> data)
    {
        if (data.Length != Length)
        {
            throw new ArgumentException($"Parameter '{Name}' of shape {Shape} needs {Length} values, got {data.Length}.");
        }

        Value.Accelerator.CopyFromHost(data, Value);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Shape}";
}
