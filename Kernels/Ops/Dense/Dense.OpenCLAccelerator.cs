namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's GEMM and the bias addition of dense and convolution layers.
public sealed unsafe partial class OpenCLAccelerator
{
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
}
