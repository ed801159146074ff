using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GpuCnn.Kernels.Cpu.Direct;

/// <summary>
/// What a CPU convolution applies to each output as it writes it: the bias, then an evaluation-mode batch norm
/// (v - mean) * scale + shift, then ReLU; each step optional. Pointers to K floats each, or null.
/// </summary>
/// <remarks>NOTE: the steps are the same float operations, in the same order, as the separate bias, batch norm and
/// ReLU kernels (an add, a subtract, a multiply and an add, no fused multiply-add, then an IEEE maximum with 0), so a
/// fused convolution writes bitwise what the unfused sequence writes.</remarks>
internal readonly unsafe struct ConvEpilogue
{
    public readonly float* Bias;
    public readonly float* Mean;
    public readonly float* Scale;
    public readonly float* Shift;
    public readonly bool Relu;

    public ConvEpilogue(float* bias, float* mean, float* scale, float* shift, bool relu)
    {
        Bias = bias;
        Mean = mean;
        Scale = scale;
        Shift = shift;
        Relu = relu;
    }

    /// <summary>Just the bias (null: nothing at all).</summary>
    public static ConvEpilogue BiasOnly(float* bias) => new(bias, null, null, null, false);

    /// <summary>Whether the epilogue changes anything.</summary>
    public bool Any => Bias != null || Scale != null || Relu;

    /// <summary>Whether more than the bias is applied.</summary>
    public bool Normalizes => Scale != null || Relu;

    /// <summary>Output channel k's value from its raw sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float sum, int k)
    {
        if (Bias != null)
        {
            sum += Bias[k];
        }

        if (Scale != null)
        {
            sum = (sum - Mean[k]) * Scale[k] + Shift[k];
        }

        return Relu ? Math.Max(sum, 0f) : sum;
    }

    /// <summary>Output channel k's values from 16 raw sums: the same operations as the scalar form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> v, int k)
    {
        if (Bias != null)
        {
            v += Vector512.Create(Bias[k]);
        }

        if (Scale != null)
        {
            v = (v - Vector512.Create(Mean[k])) * Vector512.Create(Scale[k]) + Vector512.Create(Shift[k]);
        }

        return Relu ? Vector512.Max(v, Vector512<float>.Zero) : v;
    }

    /// <summary>Applies the epilogue in place to <paramref name="count"/> outputs of channel k.</summary>
    public void ApplyRow(float* row, int count, int k)
    {
        if (!Any)
        {
            return;
        }

        var bias = Vector512.Create(Bias != null ? Bias[k] : 0f);
        var mean = Vector512.Create(Scale != null ? Mean[k] : 0f);
        var scale = Vector512.Create(Scale != null ? Scale[k] : 0f);
        var shift = Vector512.Create(Scale != null ? Shift[k] : 0f);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                var v = Vector512.Load(row + i);
                if (Bias != null)
                {
                    v += bias;
                }

                if (Scale != null)
                {
                    v = (v - mean) * scale + shift;
                }

                if (Relu)
                {
                    v = Vector512.Max(v, Vector512<float>.Zero);
                }

                v.Store(row + i);
            }
        }

        for (; i < count; i++)
        {
            row[i] = Apply(row[i], k);
        }
    }
}
