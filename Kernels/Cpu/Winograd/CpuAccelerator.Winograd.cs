using GpuCnn.Kernels.Cpu.Winograd;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu;

// The Winograd path of the CPU backend's 3x3 stride-1 convolutions; each hook returns false when the shape is not
// one it takes, and the caller runs im2col + GEMM instead.
public sealed unsafe partial class CpuAccelerator
{
    private WinogradConv? winograd;

    // Made on first use, as the im2col kernel is.
    private WinogradConv WinogradKernel => winograd ??= new WinogradConv(workers);

    private bool WinogradForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y)
    {
        if (!WinogradConv.SuitsForward(g))
        {
            return false;
        }

        WinogradKernel.Forward(g, Ptr(x), Ptr(w), PtrOrNull(b), Ptr(y));
        return true;
    }

    private bool WinogradBackwardData(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        if (!WinogradConv.SuitsBackwardData(g))
        {
            return false;
        }

        WinogradKernel.BackwardData(g, Ptr(dy), Ptr(w), Ptr(dx));
        return true;
    }

    private bool WinogradBackwardFilter(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        if (!WinogradConv.SuitsBackwardFilter(g))
        {
            return false;
        }

        WinogradKernel.BackwardFilter(g, Ptr(x), Ptr(dy), Ptr(dw), PtrOrNull(db));
        return true;
    }
}
