using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.OpenCL;

// The OpenCL backend's 2-d convolution.
public sealed unsafe partial class OpenCLAccelerator
{
    // Set by the constructor from its argument, or from GPUCNN_OPENCL_CONV when that is Auto.
    private readonly OpenCLConvolution convolution;

    /// <summary>The im2col path unfolds at most this many floats (64 MiB) per launch, plus one weight-gradient
    /// partial per image of the chunk, so its scratch stays bounded whatever the batch. Tests shrink it to run
    /// many chunks.</summary>
    internal long ColumnBudgetFloats { get; init; } = 1L << 24;

    private static OpenCLConvolution ConvolutionFromEnvironment() =>
        Environment.GetEnvironmentVariable("GPUCNN_OPENCL_CONV")?.Trim().ToLowerInvariant() switch
        {
            null or "" or "auto" => OpenCLConvolution.Auto,
            "implicit" => OpenCLConvolution.ImplicitGemm,
            "im2col" => OpenCLConvolution.Im2col,
            var other => throw new ArgumentException(
                $"GPUCNN_OPENCL_CONV is '{other}'; use 'implicit', 'im2col' or 'auto' (or unset it)."),
        };

    /// <inheritdoc />
    protected override void Conv2dForwardCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y)
    {
        if (!UseIm2col(backwardData: false))
        {
            var call = Geometry(Call("conv2d_forward"), g).Mem(x).Mem(w).Mem(b).Int(b is null ? 0 : 1).Mem(y);
            Tiled(call, g.KPerGroup, g.N * g.P * g.Q, g.Groups);
            return;
        }

        // y[n, group] (Kg x PQ) = w[group] (Kg x CRS) * col[n] (CRS x PQ), one product per image of the chunk.
        int kg = g.KPerGroup, crs = g.CPerGroup * g.R * g.S, pq = g.P * g.Q;
        var images = ChunkImages(g.N, (long)crs * pq);
        var col = Scratch((long)images * crs * pq);
        for (var n0 = 0; n0 < g.N; n0 += images)
        {
            var count = Math.Min(images, g.N - n0);
            for (var group = 0; group < g.Groups; group++)
            {
                Im2col(g, x, col, 0, n0, count, group);
                Tiled(Call("gemm_nn").Int(kg).Int(pq).Int(crs).Float(1f).Mem(w).Int(group * kg * crs).Int(0)
                    .Mem(col).Int(0).Int(crs * pq).Float(0f).Mem(y).Int((n0 * g.K + group * kg) * pq)
                    .Int(g.K * pq), kg, pq, count);
            }
        }

        if (b is not null)
        {
            BiasAddForwardCore(y, b, g.N, g.K, pq);
        }
    }

    /// <inheritdoc />
    protected override void Conv2dBackwardDataCore(
        in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        if (!UseIm2col(backwardData: true))
        {
            var call = Geometry(Call("conv2d_backward_data"), g).Mem(dy).Mem(w).Mem(dx);
            Tiled(call, g.CPerGroup, g.N * g.H * g.W, g.Groups);
            return;
        }

        // col[n] (CRS x PQ) = w[group]^T (CRS x Kg) * dy[n, group] (Kg x PQ), then col2im gathers into dx.
        int kg = g.KPerGroup, crs = g.CPerGroup * g.R * g.S, pq = g.P * g.Q;
        var images = ChunkImages(g.N, (long)crs * pq);
        var col = Scratch((long)images * crs * pq);
        for (var n0 = 0; n0 < g.N; n0 += images)
        {
            var count = Math.Min(images, g.N - n0);
            for (var group = 0; group < g.Groups; group++)
            {
                Tiled(Call("gemm_tn").Int(crs).Int(pq).Int(kg).Float(1f).Mem(w).Int(group * kg * crs).Int(0)
                    .Mem(dy).Int((n0 * g.K + group * kg) * pq).Int(g.K * pq).Float(0f).Mem(col).Int(0)
                    .Int(crs * pq), crs, pq, count);
                Elementwise(Geometry(Call("conv2d_col2im"), g).Mem(col).Mem(dx).Int(n0).Int(count).Int(group),
                    count * g.CPerGroup * g.H * g.W);
            }
        }
    }

    /// <inheritdoc />
    protected override void Conv2dBackwardFilterCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        if (UseIm2col(backwardData: false))
        {
            Conv2dBackwardFilterIm2col(g, x, dy, dw);
        }
        else
        {
            Conv2dBackwardFilterImplicit(g, x, dy, dw);
        }

        if (db is not null)
        {
            BiasAddBackwardCore(dy, db, g.N, g.K, g.P * g.Q);
        }
    }

    private void Conv2dBackwardFilterImplicit(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw)
    {
        // The product is small (K/G x C/G*R*S) and its reduction long (N*P*Q): split the reduction until the
        // grid has a few work-groups per compute unit, each split at least eight tiles deep.
        int rows = g.KPerGroup, columns = g.CPerGroup * g.R * g.S, depth = g.N * g.P * g.Q;
        var tiles = Groups(rows, program.GemmTile) * Groups(columns, program.GemmTile) * g.Groups;
        var wanted = Groups(4L * device.ComputeUnits, tiles);
        var splits = (int)Math.Clamp(wanted, 1, Groups(depth, 8 * OpenCLProgram.GemmDepth));
        var chunk = (int)Groups(Groups(depth, splits), OpenCLProgram.GemmDepth) * OpenCLProgram.GemmDepth;
        splits = (int)Groups(depth, chunk);
        var target = splits == 1 ? Mem(dw) : Scratch((long)splits * g.WeightLength);
        var call = Geometry(Call("conv2d_backward_filter"), g).Mem(x).Mem(dy).Mem(target).Int(splits).Int(chunk);
        Tiled(call, rows, columns, g.Groups * splits);
        if (splits > 1)
        {
            Elementwise(Call("conv2d_sum_partials").Mem(target).Mem(dw).Int(splits).Int(g.WeightLength),
                g.WeightLength);
        }
    }

    private void Conv2dBackwardFilterIm2col(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw)
    {
        // partial[n, group] (Kg x CRS) = dy[n, group] (Kg x PQ) * col[n]^T (PQ x CRS), one product per image, then
        // conv2d_sum_partials adds the chunk's partials into dw in image order, so the result does not depend on
        // scheduling. Scratch holds the partials (a weight per image) first, then the chunk's columns.
        int kg = g.KPerGroup, crs = g.CPerGroup * g.R * g.S, pq = g.P * g.Q, weights = g.WeightLength;
        var images = ChunkImages(g.N, (long)crs * pq + weights);
        var colOffset = images * weights;
        var scratch = Scratch((long)images * ((long)crs * pq + weights));
        for (var n0 = 0; n0 < g.N; n0 += images)
        {
            var count = Math.Min(images, g.N - n0);
            for (var group = 0; group < g.Groups; group++)
            {
                Im2col(g, x, scratch, colOffset, n0, count, group);
                Tiled(Call("gemm_nt").Int(kg).Int(crs).Int(pq).Float(1f).Mem(dy).Int((n0 * g.K + group * kg) * pq)
                    .Int(g.K * pq).Mem(scratch).Int(colOffset).Int(crs * pq).Float(0f).Mem(scratch)
                    .Int(group * kg * crs).Int(weights), kg, crs, count);
            }

            Elementwise(Call("conv2d_sum_partials").Mem(scratch).Mem(dw).Int(count).Int(weights), weights);
        }
    }

    // The measured rule (table at the top of Conv2d.cl): implicit GEMM for forward and backward-weight, where it
    // batches all images into one product and needs no unfolding pass; im2col + col2im for backward-data, whose
    // implicit form wastes most of each 64-row tile when C/G is small and decodes a strided gather per element.
    private bool UseIm2col(bool backwardData) => convolution switch
    {
        OpenCLConvolution.Im2col => true,
        OpenCLConvolution.ImplicitGemm => false,
        _ => backwardData,
    };

    // Images per im2col chunk: as many as fit the column budget, at least one.
    private int ChunkImages(int n, long floatsPerImage) =>
        (int)Math.Clamp(ColumnBudgetFloats / Math.Max(floatsPerImage, 1), 1, Math.Max(n, 1));

    private void Im2col(in Conv2dGeometry g, DeviceBuffer x, nint col, int colOffset, int n0, int images, int group)
    {
        var count = images * g.CPerGroup * g.R * g.S * g.P * g.Q;
        Elementwise(Geometry(Call("conv2d_im2col"), g).Mem(x).Mem(col).Int(colOffset).Int(n0).Int(images)
            .Int(group), count);
    }

    private static KernelCall Geometry(KernelCall call, in Conv2dGeometry g) =>
        call.Ints(g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH,
            g.DilationW, g.Groups, g.P, g.Q);
}

/// <summary>How the OpenCL backend computes a convolution.</summary>
public enum OpenCLConvolution
{
    /// <summary>The measured per-shape rule (see the top of <c>Conv2d.cl</c>); the environment variable
    /// <c>GPUCNN_OPENCL_CONV</c> (<c>implicit</c> or <c>im2col</c>) overrides it.</summary>
    Auto,

    /// <summary>Implicit GEMM: the tile loaders gather the unfolded input on the fly; no scratch.</summary>
    ImplicitGemm,

    /// <summary>im2col into scratch sized to a chunk of images, then the strided-batch GEMM kernels.</summary>
    Im2col,
}
