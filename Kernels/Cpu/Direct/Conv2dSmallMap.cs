using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GpuCnn.Kernels.Cpu.Gemm;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu.Direct;

/// <summary>
/// Forward convolution of a few images with small output maps and many taps per output: the 16x16 and 8x8 layers
/// of a network on 32x32 images at batch 1. There Winograd has too few tiles to repay its kernel transform, and
/// im2col + GEMM runs one image per work item, so one core does the whole layer. Here the receptive fields are
/// gathered once per call into a panel of (C*R*S) rows by the images' output pixels (each image's pixels padded to
/// whole 16-lane vectors, so that no vector straddles two images), the two cores gathering alternate blocks of
/// channels; then each work item takes a block of output channels and sweeps the panel with a register tile of
/// 6 channels x 4 pixel vectors: each tap loads 4 panel vectors and broadcasts 6 weights read in place from the
/// (K, C*R*S) weights, for 24 fused multiply-adds. The epilogue is applied in registers as the tile is stored.
/// Each output is one chain of multiply-adds over the taps in their stored order whichever item or thread makes
/// it, so results do not depend on the thread count.
/// </summary>
/// <remarks>Every method is compiled fully optimised at its first call: a batch-1 forward pass runs each layer
/// once, and under tiered compilation the gather ran as unoptimised code for its first 30 calls.</remarks>
internal sealed unsafe class Conv2dSmallMap : IParallelJob
{
    private const int Lanes = 16;
    private const int TileRows = 6;
    private const int TileVectors = 4;

    // Bytes of panel at most: it is swept once per block of output channels and should stay in each core's L2
    // (measured: 2 images of 16x16 maps of 128 channels, a 2.4 MB panel, took 1.7 ms here against 1.25 through
    // im2col).
    private const long MaxPanelBytes = 3L << 19;

    // Fewer taps than this make sums so short that the gather costs about as much as the multiply-adds; ResNet's
    // 1x1 downsampling at batch 1 (64 and 128 taps) still gains here (about 0.045 ms against 0.06 through im2col).
    private const int MinTaps = 64;

    // From 4 images on, im2col + GEMM with images shared out between the cores did better (measured: 8x8 maps of
    // 128 channels, 4 images 0.41 ms against 0.48; 2 and 3 images of 8x8 and 16x16 maps ran 20-35% faster here).
    private const int MaxImages = 3;

    // Output pixels per image from which this kernel serves: maps of 16 pixels or fewer (4x4) are the few-pixel
    // kernel's at batch 1.
    private const int MinPixels = 17;

    private readonly CpuWorkers workers;
    private readonly CpuScratch scratch;
    private Conv2dGeometry g;
    private float* x;
    private float* w;
    private float* y;
    private float* panel;
    private ConvEpilogue epilogue;
    private bool gathering;
    private int taps;
    private int vectorsPerImage;
    private int vectors;
    private int ldp;
    private int channelTiles;
    private int gatherItems;

    public Conv2dSmallMap(CpuWorkers workers, CpuScratch scratch)
    {
        this.workers = workers;
        this.scratch = scratch;
    }

    /// <summary>Off when GPUCNN_SMALLMAP=0 (for A/B timing): the layers then go to im2col + GEMM as before.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("GPUCNN_SMALLMAP") != "0";

    /// <summary>Whether the forward pass of <paramref name="g"/> runs here.</summary>
    public static bool Fits(in Conv2dGeometry g)
    {
        if (!Enabled || !Avx512F.IsSupported || g.Groups != 1 || g.K < TileRows || g.N > MaxImages)
        {
            return false;
        }

        var pq = g.P * g.Q;
        var taps = g.C * g.R * g.S;
        var columns = (long)g.N * ((pq + Lanes - 1) / Lanes * Lanes);
        return pq >= MinPixels && taps >= MinTaps && columns * taps * sizeof(float) <= MaxPanelBytes;
    }

    // x:(N,C,H,W) w:(K,C,R,S) y:(N,K,P,Q) = epilogue(conv(x, w))
    public void Forward(in Conv2dGeometry geometry, float* input, float* weight, float* output, in ConvEpilogue after)
    {
        g = geometry;
        x = input;
        w = weight;
        y = output;
        epilogue = after;
        taps = g.C * g.R * g.S;
        vectorsPerImage = (g.P * g.Q + Lanes - 1) / Lanes;
        vectors = g.N * vectorsPerImage;
        ldp = vectors * Lanes;
        var raw = scratch.Shared(0, taps * ldp + Lanes);
        panel = (float*)(((nint)raw + 63) & ~(nint)63);

        // Blocks of whole channels, a few per worker; the gather is memory-bound and short.
        gathering = true;
        gatherItems = Math.Min(g.C, 8);
        workers.Run(this, gatherItems);

        gathering = false;
        channelTiles = (g.K + TileRows - 1) / TileRows;
        workers.Run(this, channelTiles);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(int index, int worker)
    {
        if (gathering)
        {
            int first = index * g.C / gatherItems, end = (index + 1) * g.C / gatherItems;
            for (var c = first; c < end; c++)
            {
                Gather(c);
            }

            return;
        }

        var k0 = index * TileRows;
        var rows = Math.Min(TileRows, g.K - k0);
        var sums = stackalloc float[TileRows * TileVectors * Lanes];
        for (var v0 = 0; v0 < vectors; v0 += TileVectors)
        {
            var count = Math.Min(TileVectors, vectors - v0);
            Dispatch(rows, count, w + (long)k0 * taps, panel + v0 * Lanes, sums);
            Store(k0, rows, v0, count, sums);
        }
    }

    // Panel rows (c, r, s) for every image: row[n * vectorsPerImage * 16 + p * Q + q] = x[n, c, ih, iw], zero
    // outside the input and in each image's tail up to whole vectors. Stride 1 and 2 take 16 outputs of a row at a
    // time, from one or two loads masked to the input's columns (lanes over the padding read nothing and give 0).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Gather(int c)
    {
        // Locals, not fields: the stores through the panel would otherwise make the JIT reload every size.
        int height = g.H, width = g.W, kernelH = g.R, kernelW = g.S, outH = g.P, outW = g.Q;
        int strideH = g.StrideH, strideW = g.StrideW, padTop = g.PadTop, padLeft = g.PadLeft;
        int dilationH = g.DilationH, dilationW = g.DilationW, images = g.N, pq = outH * outW;
        int imageColumns = vectorsPerImage * Lanes;
        long imageStride = (long)g.C * height * width;
        var indices = Vector512<int>.Indices;
        var even = indices * 2;
        var values = stackalloc float[Lanes];
        var row = panel + (long)c * kernelH * kernelW * ldp;
        for (var r = 0; r < kernelH; r++)
        {
            for (var s = 0; s < kernelW; s++, row += ldp)
            {
                var left = s * dilationW - padLeft;
                for (var n = 0; n < images; n++)
                {
                    var plane = x + n * imageStride + (long)c * height * width;
                    var dst = row + n * imageColumns;
                    for (var p = 0; p < outH; p++, dst += outW)
                    {
                        var ih = p * strideH - padTop + r * dilationH;
                        var line = plane + (long)ih * width + left;
                        for (var q0 = 0; q0 < outW; q0 += Lanes)
                        {
                            var lanes = Vector512.LessThan(indices, Vector512.Create(outW - q0)).AsSingle();
                            Vector512<float> value;
                            if ((uint)ih >= (uint)height)
                            {
                                value = Vector512<float>.Zero;
                            }
                            else if (strideW <= 2)
                            {
                                // Input columns left + strideW * q0 + e for e in [0, 16 * strideW): load those inside
                                // the row, then keep every strideW-th.
                                var first = left + strideW * q0;
                                var start = Vector512.Create(-first);
                                var end = Vector512.Create(width - first);
                                var inside = (Vector512.GreaterThanOrEqual(indices, start) &
                                    Vector512.LessThan(indices, end)).AsSingle();
                                var low = Avx512F.MaskLoad(line + strideW * q0, inside, Vector512<float>.Zero);
                                if (strideW == 1)
                                {
                                    value = low;
                                }
                                else
                                {
                                    var upper = indices + Vector512.Create(Lanes);
                                    inside = (Vector512.GreaterThanOrEqual(upper, start) &
                                        Vector512.LessThan(upper, end)).AsSingle();
                                    var high = Avx512F.MaskLoad(line + strideW * q0 + Lanes, inside,
                                        Vector512<float>.Zero);
                                    value = Avx512F.PermuteVar16x32x2(low, even, high);
                                }
                            }
                            else
                            {
                                var count = Math.Min(Lanes, outW - q0);
                                for (var q = 0; q < count; q++)
                                {
                                    var iw = left + (q0 + q) * strideW;
                                    values[q] = (uint)iw < (uint)width ? line[(q0 + q) * strideW] : 0f;
                                }

                                value = Vector512.Load(values);
                            }

                            Avx512F.MaskStore(dst + q0, lanes, value);
                        }
                    }

                    // The tail lanes feed only outputs that are never stored, but zeros keep them from holding
                    // denormals or NaNs that could slow the multiply-adds.
                    new Span<float>(row + n * imageColumns + pq, imageColumns - pq).Clear();
                }
            }
        }
    }

    // Tile (r, v) of sums, 16 lanes at sums + (r * TileVectors + v) * 16, through the epilogue into y: vector
    // v0 + v is vector (v0 + v) % vectorsPerImage of image (v0 + v) / vectorsPerImage.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Store(int k0, int rows, int v0, int count, float* sums)
    {
        int pq = g.P * g.Q, channels = g.K;
        for (var v = 0; v < count; v++)
        {
            int n = (v0 + v) / vectorsPerImage, first = (v0 + v) % vectorsPerImage * Lanes;
            var lanes = Math.Min(Lanes, pq - first);
            var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle();
            var output = y + ((long)n * channels + k0) * pq + first;
            for (var r = 0; r < rows; r++, output += pq)
            {
                var value = epilogue.Apply(Vector512.Load(sums + (r * TileVectors + v) * Lanes), k0 + r);
                if (lanes == Lanes)
                {
                    value.Store(output);
                }
                else
                {
                    Avx512F.MaskStore(output, mask, value);
                }
            }
        }
    }

    private void Dispatch(int rows, int count, float* weights, float* field, float* sums)
    {
        switch (rows * 8 + count)
        {
            case 6 * 8 + 4: Tile<R6, R4>(weights, field, sums); break;
            case 6 * 8 + 3: Tile<R6, R3>(weights, field, sums); break;
            case 6 * 8 + 2: Tile<R6, R2>(weights, field, sums); break;
            case 6 * 8 + 1: Tile<R6, R1>(weights, field, sums); break;
            case 5 * 8 + 4: Tile<R5, R4>(weights, field, sums); break;
            case 5 * 8 + 3: Tile<R5, R3>(weights, field, sums); break;
            case 5 * 8 + 2: Tile<R5, R2>(weights, field, sums); break;
            case 5 * 8 + 1: Tile<R5, R1>(weights, field, sums); break;
            case 4 * 8 + 4: Tile<R4, R4>(weights, field, sums); break;
            case 4 * 8 + 3: Tile<R4, R3>(weights, field, sums); break;
            case 4 * 8 + 2: Tile<R4, R2>(weights, field, sums); break;
            case 4 * 8 + 1: Tile<R4, R1>(weights, field, sums); break;
            case 3 * 8 + 4: Tile<R3, R4>(weights, field, sums); break;
            case 3 * 8 + 3: Tile<R3, R3>(weights, field, sums); break;
            case 3 * 8 + 2: Tile<R3, R2>(weights, field, sums); break;
            case 3 * 8 + 1: Tile<R3, R1>(weights, field, sums); break;
            case 2 * 8 + 4: Tile<R2, R4>(weights, field, sums); break;
            case 2 * 8 + 3: Tile<R2, R3>(weights, field, sums); break;
            case 2 * 8 + 2: Tile<R2, R2>(weights, field, sums); break;
            case 2 * 8 + 1: Tile<R2, R1>(weights, field, sums); break;
            case 1 * 8 + 4: Tile<R1, R4>(weights, field, sums); break;
            case 1 * 8 + 3: Tile<R1, R3>(weights, field, sums); break;
            case 1 * 8 + 2: Tile<R1, R2>(weights, field, sums); break;
            default: Tile<R1, R1>(weights, field, sums); break;
        }
    }

    // sums (r, v) = sum over taps t of weights[r * taps + t] * field[t * ldp + 16 v + lane], for TRows x TVecs of
    // them, one multiply-add per tap in tap order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Tile<TRows, TVecs>(float* weights, float* field, float* sums)
        where TRows : struct, IConstant
        where TVecs : struct, IConstant
    {
        int rows = TRows.Value, cols = TVecs.Value;
        nint ldw = taps, step = ldp, count = taps;
        float* w0 = weights, w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw, w4 = w3 + ldw, w5 = w4 + ldw;
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
        Vector512<float> s40 = default, s41 = default, s42 = default, s43 = default;
        Vector512<float> s50 = default, s51 = default, s52 = default, s53 = default;
        for (nint t = 0; t < count; t++, field += step)
        {
            var f0 = Vector512.Load(field);
            var f1 = cols > 1 ? Vector512.Load(field + Lanes) : default;
            var f2 = cols > 2 ? Vector512.Load(field + 2 * Lanes) : default;
            var f3 = cols > 3 ? Vector512.Load(field + 3 * Lanes) : default;
            var a = Vector512.Create(w0[t]);
            s00 = Avx512F.FusedMultiplyAdd(a, f0, s00);
            if (cols > 1) s01 = Avx512F.FusedMultiplyAdd(a, f1, s01);
            if (cols > 2) s02 = Avx512F.FusedMultiplyAdd(a, f2, s02);
            if (cols > 3) s03 = Avx512F.FusedMultiplyAdd(a, f3, s03);
            if (rows > 1)
            {
                a = Vector512.Create(w1[t]);
                s10 = Avx512F.FusedMultiplyAdd(a, f0, s10);
                if (cols > 1) s11 = Avx512F.FusedMultiplyAdd(a, f1, s11);
                if (cols > 2) s12 = Avx512F.FusedMultiplyAdd(a, f2, s12);
                if (cols > 3) s13 = Avx512F.FusedMultiplyAdd(a, f3, s13);
            }

            if (rows > 2)
            {
                a = Vector512.Create(w2[t]);
                s20 = Avx512F.FusedMultiplyAdd(a, f0, s20);
                if (cols > 1) s21 = Avx512F.FusedMultiplyAdd(a, f1, s21);
                if (cols > 2) s22 = Avx512F.FusedMultiplyAdd(a, f2, s22);
                if (cols > 3) s23 = Avx512F.FusedMultiplyAdd(a, f3, s23);
            }

            if (rows > 3)
            {
                a = Vector512.Create(w3[t]);
                s30 = Avx512F.FusedMultiplyAdd(a, f0, s30);
                if (cols > 1) s31 = Avx512F.FusedMultiplyAdd(a, f1, s31);
                if (cols > 2) s32 = Avx512F.FusedMultiplyAdd(a, f2, s32);
                if (cols > 3) s33 = Avx512F.FusedMultiplyAdd(a, f3, s33);
            }

            if (rows > 4)
            {
                a = Vector512.Create(w4[t]);
                s40 = Avx512F.FusedMultiplyAdd(a, f0, s40);
                if (cols > 1) s41 = Avx512F.FusedMultiplyAdd(a, f1, s41);
                if (cols > 2) s42 = Avx512F.FusedMultiplyAdd(a, f2, s42);
                if (cols > 3) s43 = Avx512F.FusedMultiplyAdd(a, f3, s43);
            }

            if (rows > 5)
            {
                a = Vector512.Create(w5[t]);
                s50 = Avx512F.FusedMultiplyAdd(a, f0, s50);
                if (cols > 1) s51 = Avx512F.FusedMultiplyAdd(a, f1, s51);
                if (cols > 2) s52 = Avx512F.FusedMultiplyAdd(a, f2, s52);
                if (cols > 3) s53 = Avx512F.FusedMultiplyAdd(a, f3, s53);
            }
        }

        const int RowStep = TileVectors * Lanes;
        Save(sums, s00, s01, s02, s03, cols);
        if (rows > 1) Save(sums + RowStep, s10, s11, s12, s13, cols);
        if (rows > 2) Save(sums + 2 * RowStep, s20, s21, s22, s23, cols);
        if (rows > 3) Save(sums + 3 * RowStep, s30, s31, s32, s33, cols);
        if (rows > 4) Save(sums + 4 * RowStep, s40, s41, s42, s43, cols);
        if (rows > 5) Save(sums + 5 * RowStep, s50, s51, s52, s53, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Save(float* sums, Vector512<float> a, Vector512<float> b, Vector512<float> c,
        Vector512<float> d, int cols)
    {
        a.Store(sums);
        if (cols > 1) b.Store(sums + Lanes);
        if (cols > 2) c.Store(sums + 2 * Lanes);
        if (cols > 3) d.Store(sums + 3 * Lanes);
    }
}
