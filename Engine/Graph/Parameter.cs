using GpuCnn.Kernels;

namespace GpuCnn.Engine;

/// <summary>A learnable tensor with its gradient, named as PyTorch names it (<c>conv1.weight</c>).</summary>
public sealed class Parameter
{
    private readonly DeviceBuffer grad;
    private bool zeroPending;

    internal Parameter(string name, Shape shape, DeviceBuffer value, DeviceBuffer gradient)
    {
        Name = name;
        Shape = shape;
        Value = value;
        grad = gradient;
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
    /// <remarks>A zeroing asked for by <c>ZeroGrad</c> is done here when it is still pending, so every reader sees
    /// zeros; a layer whose backward overwrites the whole gradient skips it (<see cref="GradForOverwrite"/>).
    /// </remarks>
    public DeviceBuffer Grad
    {
        get
        {
            if (zeroPending)
            {
                zeroPending = false;
                grad.Accelerator.Fill(grad, 0f);
            }

            return grad;
        }
    }

    /// <summary>False freezes the parameter: backward leaves its gradient alone and optimizers skip it.</summary>
    public bool RequiresGrad { get; set; } = true;

    /// <summary>Zeroes the gradient, lazily: a backward that writes the whole gradient (a dense layer's weight
    /// gradient, a GEMM with beta 0) then need not read zeros, and the step saves a pass over the buffer.</summary>
    internal void ZeroGrad() => zeroPending = true;

    /// <summary>The gradient buffer for a kernel that adds into it, and in <paramref name="overwrite"/> whether its
    /// contents are a pending zero, in which case the caller must write every element instead of adding.</summary>
    internal DeviceBuffer GradForOverwrite(out bool overwrite)
    {
        overwrite = zeroPending;
        zeroPending = false;
        return grad;
    }

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
