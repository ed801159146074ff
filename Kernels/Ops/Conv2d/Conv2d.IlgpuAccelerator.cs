using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's 2-d convolution: implicit GEMM throughout (Conv2dIlgpuKernels), the bias fused into the
// forward's store; the weight gradient splits its long reduction over N*P*Q into partials when the product alone
// would leave the device's multiprocessors idle.
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void Conv2dForwardCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y) =>
        LaunchGrouped(Conv2dIlgpuKernels.Forward, TileGrid(g.N * g.P * g.Q, g.KPerGroup, g.Groups), View(x), View(w),
            ViewOrEmpty(b), View(y), new Conv2dSizes(g, hasBias: b is not null));

    /// <inheritdoc />
    protected override void Conv2dBackwardDataCore(
        in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx) =>
        LaunchGrouped(Conv2dIlgpuKernels.BackwardData, TileGrid(g.N * g.H * g.W, g.CPerGroup, g.Groups), View(dy),
            View(w), View(dx), new Conv2dSizes(g));

    /// <inheritdoc />
    protected override void Conv2dBackwardFilterCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        // The product is small (K/G x C/G*R*S) and its reduction long (N*P*Q): split the reduction until the grid
        // has a few groups per multiprocessor, each split at least eight slices deep (the rule of the OpenCL path).
        int rows = g.KPerGroup, columns = g.CPerGroup * g.R * g.S, depth = g.N * g.P * g.Q;
        var tiles = (long)Groups(rows, IlgpuGemmTile.Tile) * Groups(columns, IlgpuGemmTile.Tile) * g.Groups;
        var wanted = (4L * Multiprocessors + tiles - 1) / tiles;
        var splits = (int)Math.Clamp(wanted, 1, Groups(depth, 8 * IlgpuGemmTile.Depth));
        var chunk = Groups(Groups(depth, splits), IlgpuGemmTile.Depth) * IlgpuGemmTile.Depth;
        splits = Groups(depth, chunk);
        var weights = View(dw).SubView(0, g.WeightLength);
        var target = splits == 1 ? weights : Scratch((long)splits * g.WeightLength);
        LaunchGrouped(Conv2dIlgpuKernels.BackwardFilter, TileGrid(columns, rows, g.Groups * splits), View(x),
            View(dy), target, new Conv2dSizes(g, splits: splits, chunk: chunk));
        if (splits > 1)
        {
            Launch(Conv2dIlgpuKernels.SumPartials, g.WeightLength, target, weights, splits);
        }

        if (db is not null)
        {
            BiasAddBackwardCore(dy, db, g.N, g.K, g.P * g.Q);
        }
    }
}
