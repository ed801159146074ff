using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The CPU backend's GEMM and the bias addition of dense and convolution layers.
public sealed unsafe partial class CpuAccelerator
{
    // The GEMM engine's per-call state; one per accelerator so that a call allocates nothing.
    private readonly GemmJob gemm = new();

    /// <inheritdoc />
    protected override void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a,
        DeviceBuffer b, float beta, DeviceBuffer c) =>
        // Leading dimensions follow BLAS: at least 1 even when a matrix is empty.
        CpuGemm.Sgemm(transA, transB, m, n, k, alpha, Ptr(a), Math.Max(1, transA ? m : k), Ptr(b),
            Math.Max(1, transB ? k : n), beta, Ptr(c), Math.Max(1, n), workers, gemm);

    /// <inheritdoc />
    protected override void BiasAddForwardCore(
        DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner) =>
        BiasCpu.Forward(Ptr(y), Ptr(bias), outer, channels, inner);

    /// <inheritdoc />
    protected override void BiasAddBackwardCore(
        DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner) =>
        BiasCpu.Backward(Ptr(dy), Ptr(db), outer, channels, inner);
}
