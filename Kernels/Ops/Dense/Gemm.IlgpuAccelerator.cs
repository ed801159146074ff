using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's GEMM: its kernels are not written yet, so these hooks refuse (see IlgpuPendingOps in the
// tests, which keeps the op off the ILGPU test row until they land).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a,
        DeviceBuffer b, float beta, DeviceBuffer c) =>
        throw Pending("GEMM");
}
