using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;

namespace GpuCnn.Kernels.Ilgpu;

// The ILGPU backend's bias addition of dense and convolution layers (its GEMM is in Gemm.IlgpuAccelerator.cs).
public sealed partial class IlgpuAccelerator
{
    /// <inheritdoc />
    protected override void BiasAddForwardCore(
        DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner) =>
        Launch(DenseIlgpuKernels.BiasAddForward, (long)outer * channels * inner, View(y), View(bias),
            new BiasSizes(outer, channels, inner));

    /// <inheritdoc />
    protected override void BiasAddBackwardCore(
        DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner)
    {
        var sizes = new BiasSizes(outer, channels, inner);
        if (inner == 1)
        {
            Launch(DenseIlgpuKernels.BiasBackwardRows, channels, View(dy), View(db), sizes);
            return;
        }

        LaunchGrouped(DenseIlgpuKernels.BiasBackwardPlanes, new KernelConfig(channels, MaxGroupSize), View(dy),
            View(db), sizes);
    }
}

/// <summary>The shape of a biased tensor, y:(Outer, Channels, Inner).</summary>
internal readonly record struct BiasSizes(int Outer, int Channels, int Inner);

/// <summary>Bias addition and its gradient.</summary>
internal static class DenseIlgpuKernels
{
    // y:(outer, channels, inner) += bias[c]; one thread per element.
    public static void BiasAddForward(Index1D i, ArrayView<float> y, ArrayView<float> bias, BiasSizes s) =>
        y[i] += bias[i / s.Inner % s.Channels];

    // db[c] += sum of dy[o, c] for a dense layer (inner = 1): one thread per channel walks the rows, so the
    // threads of a warp read adjacent channels of the same row.
    public static void BiasBackwardRows(Index1D c, ArrayView<float> dy, ArrayView<float> db, BiasSizes s)
    {
        var sum = 0f;
        for (var o = 0; o < s.Outer; o++)
        {
            sum += dy[o * s.Channels + c];
        }

        db[c] += sum;
    }

    // db[c] += sum of dy[o, c, i] over o and i for convolution planes: one group per channel, its threads
    // striding through each plane (coalesced) and reducing across the group.
    public static void BiasBackwardPlanes(ArrayView<float> dy, ArrayView<float> db, BiasSizes s)
    {
        var c = Grid.IdxX;
        var sum = 0f;
        for (var o = 0; o < s.Outer; o++)
        {
            var plane = (o * s.Channels + c) * s.Inner;
            for (var i = Group.IdxX; i < s.Inner; i += Group.DimX)
            {
                sum += dy[plane + i];
            }
        }

        var total = GroupExtensions.Reduce<float, AddFloat>(sum);
        if (Group.IsFirstThread)
        {
            db[c] += total;
        }
    }
}
