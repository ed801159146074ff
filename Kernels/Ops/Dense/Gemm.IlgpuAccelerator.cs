using GpuCnn.Kernels.Ops;
using ILGPU;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's GEMM: the shared-memory tiled kernel of GemmIlgpuKernels.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a,
        DeviceBuffer b, float beta, DeviceBuffer c)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        LaunchGrouped(GemmIlgpuKernels.Gemm, TileGrid(n, m, 1), View(a), View(b), View(c),
            new GemmSizes(m, n, k, alpha, beta, transA, transB));
    }

    /// <summary>The launch of a tiled product (<see cref="IlgpuGemmTile"/>) of C:(rows, columns), with
    /// <paramref name="depth"/> independent products along the grid's z dimension.</summary>
    private static KernelConfig TileGrid(int columns, int rows, int depth) => new(
        new Index3D(Groups(columns, IlgpuGemmTile.Tile), Groups(rows, IlgpuGemmTile.Tile), depth),
        new Index3D(IlgpuGemmTile.Threads, IlgpuGemmTile.Threads, 1));
}
