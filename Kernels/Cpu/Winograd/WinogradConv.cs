using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu.Winograd;

/// <summary>
/// 3x3 stride-1 convolution on the CPU by Winograd's minimal filtering F(4x4, 3x3) (Lavin and Gray's matrices,
/// interpolation points 0, 1, -1, 2, -2 and infinity): each 4x4 block of outputs is
/// A^T [ sum_c (G w G^T) * (B^T d B) ] A over the 6x6 input tile d, so the 36 element-wise products become 36 GEMMs
/// of (out channels) x (in channels) x (tiles), 4x fewer multiplies than the direct 3x3 sum. The backward data pass
/// is the same correlation on dy with the kernel turned by 180 degrees, in and out channels swapped, and padding
/// 2 - p. A batch runs in blocks of whole images, in three team-wide phases per block (input transform over
/// channels, one GEMM per transform point, output transform over channels), so that each output element is made by
/// the same arithmetic whichever thread takes which item: results are bitwise the same for any thread count.
/// </summary>
/// <remarks>
/// Rounding: the transforms scale values by up to 8 (A), 5 (B) and mix in 1/6, 1/12, 1/24 (G), so the error is
/// larger than the direct sum's; measured on random data it stays below 2^-24 * 64 * sum |x||w| per output
/// (Tests/Kernels/WinogradOracleTests.cs states and checks the bound).
/// </remarks>
internal sealed unsafe class WinogradConv : IParallelJob
{
    private const int Points = 36;

    // Tiles per vector in the tile-wise half of the transforms.
    private const int Lanes = 8;

    // Bytes of transformed input and GEMM products (V and M) one block may fill; below this a block's GEMMs are
    // wide enough and the transformed data stays in the large shared cache.
    private const long BlockBytes = 24L << 20;

    private static readonly Vector512<int>[] Deinterleave = MakeDeinterleave();
    private static readonly Vector512<int>[] Interleave = MakeInterleave();

    private readonly CpuWorkers workers;
    private readonly CpuScratch scratch;
    private Phase phase;
    private int inC, outC, inH, inW, outH, outW, padTop, padLeft;
    private int tilesH, tilesW, tilesPerImage, rowLd, stagingLd, ldI, ldT;
    private int blockFirst, blockImages, blockTiles, chunk;
    private bool backwardData;
    private float* source;
    private float* destination;
    private float* bias;
    private float* weight;
    private float* u;
    private float* v;
    private float* m;

    public WinogradConv(CpuWorkers workers)
    {
        this.workers = workers;
        scratch = new CpuScratch(workers.Count);
    }

    /// <summary>Off when GPUCNN_WINOGRAD=0 (for A/B timing); tests set it directly.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("GPUCNN_WINOGRAD") != "0";

    private enum Phase
    {
        Filter,
        Input,
        Products,
        Output,
    }

    /// <summary>Whether the forward pass of <paramref name="g"/> runs here.</summary>
    public static bool SuitsForward(in Conv2dGeometry g) => Suits(g) && Pays(g.C, g.K, g.P, g.Q);

    /// <summary>Whether the backward data pass of <paramref name="g"/> runs here: the turned kernel's padding
    /// 2 - p must not be negative.</summary>
    public static bool SuitsBackwardData(in Conv2dGeometry g) => Suits(g) && g.PadTop <= 2 && g.PadLeft <= 2 &&
        g.PadBottom <= 2 && g.PadRight <= 2 && Pays(g.K, g.C, g.H, g.W);

    private static bool Suits(in Conv2dGeometry g) => Enabled && Avx512F.IsSupported && g.R == 3 && g.S == 3 &&
        g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1 && g.Groups == 1;

    // Few channels leave the GEMMs too thin to beat im2col; on maps of 2x2 or so a 6x6 tile multiplies as often
    // as the direct sum (36 products for 4 outputs of 9 taps each).
    private static bool Pays(int inChannels, int outChannels, int height, int width)
    {
        if (inChannels < 8 || outChannels < 8)
        {
            return false;
        }

        var tiles = (long)((height + 3) / 4) * ((width + 3) / 4);
        return 9L * height * width >= 2 * Points * tiles;
    }

    // x:(N,C,H,W) w:(K,C,3,3) b:(K)? y:(N,K,P,Q)
    public void Forward(in Conv2dGeometry g, float* x, float* w, float* b, float* y)
    {
        Plan(g.C, g.K, g.H, g.W, g.P, g.Q, g.PadTop, g.PadLeft, backward: false);
        Run(g.N, x, w, b, y);
    }

    // dy:(N,K,P,Q) w:(K,C,3,3) dx:(N,C,H,W) += ...
    public void BackwardData(in Conv2dGeometry g, float* dy, float* w, float* dx)
    {
        Plan(g.K, g.C, g.P, g.Q, g.H, g.W, 2 - g.PadTop, 2 - g.PadLeft, backward: true);
        Run(g.N, dy, w, null, dx);
    }

    public void Run(int index, int worker)
    {
        switch (phase)
        {
            case Phase.Filter:
                for (int o = index * chunk, end = Math.Min(outC, o + chunk); o < end; o++)
                {
                    TransformFilter(o, worker);
                }

                break;
            case Phase.Input:
                for (int c = index * chunk, end = Math.Min(inC, c + chunk); c < end; c++)
                {
                    for (var image = 0; image < blockImages; image++)
                    {
                        TransformInput(image, c, worker);
                    }
                }

                break;
            case Phase.Products:
                CpuGemm.Sgemm(false, false, outC, blockTiles, inC, 1f, u + (long)index * outC * ldI, ldI,
                    v + (long)index * inC * ldT, ldT, 0f, m + (long)index * outC * ldT, ldT, parallel: false);
                break;
            default:
                for (int k = index * chunk, end = Math.Min(outC, k + chunk); k < end; k++)
                {
                    for (var image = 0; image < blockImages; image++)
                    {
                        TransformOutput(image, k, worker);
                    }
                }

                break;
        }
    }

    // The correlation of a (inC, inH, inW) input with a 3x3 kernel to a (outC, outH, outW) output, padded by
    // padTop and padLeft before the first row and column (the far side's padding follows from the sizes).
    private void Plan(int inChannels, int outChannels, int height, int width, int outHeight, int outWidth, int top,
        int left, bool backward)
    {
        (inC, outC, inH, inW, outH, outW, padTop, padLeft, backwardData) =
            (inChannels, outChannels, height, width, outHeight, outWidth, top, left, backward);
        tilesH = (outH + 3) / 4;
        tilesW = (outW + 3) / 4;
        tilesPerImage = tilesH * tilesW;

        // A tile row's group of 8 tiles reads 32 + 4 floats of each transformed row from its first column.
        rowLd = RoundUp(4 * tilesW + 32, 16);
        stagingLd = 4 * RoundUp(tilesW, Lanes);
        ldI = RoundUp(inC, 16);
    }

    private void Run(int n, float* input, float* w, float* b, float* output)
    {
        var bytesPerImage = (long)Points * (inC + outC) * tilesPerImage * sizeof(float);
        var imagesPerBlock = (int)Math.Clamp(BlockBytes / bytesPerImage, 1, n);
        var blocks = (n + imagesPerBlock - 1) / imagesPerBlock;
        imagesPerBlock = (n + blocks - 1) / blocks;

        // Stores of a group of 8 tiles may run 7 columns past the block's last tile; a row stride that is a
        // multiple of 4 KiB would map every row of a GEMM panel to the same cache set.
        ldT = RoundUp(imagesPerBlock * tilesPerImage + Lanes, 16);
        if (ldT % 1024 == 0)
        {
            ldT += 16;
        }

        // Per worker: six padded input rows and their transform, the staged 3x3 kernels of one output channel,
        // four output rows and the 24 half-transformed output vectors.
        scratch.Reserve(12 * rowLd + 9 * ldI + 4 * stagingLd + 24 * Lanes);
        u = scratch.Shared(0, Points * outC * ldI);
        v = scratch.Shared(1, Points * inC * ldT);
        m = scratch.Shared(2, Points * outC * ldT);
        weight = w;
        bias = b;

        phase = Phase.Filter;
        chunk = ChunkOf(outC);
        workers.Run(this, (outC + chunk - 1) / chunk);

        for (var first = 0; first < n; first += imagesPerBlock)
        {
            blockFirst = first;
            blockImages = Math.Min(imagesPerBlock, n - first);
            blockTiles = blockImages * tilesPerImage;
            source = input + (long)first * inC * inH * inW;
            destination = output + (long)first * outC * outH * outW;

            phase = Phase.Input;
            chunk = ChunkOf(inC);
            workers.Run(this, (inC + chunk - 1) / chunk);

            phase = Phase.Products;
            workers.Run(this, Points);

            phase = Phase.Output;
            chunk = ChunkOf(outC);
            workers.Run(this, (outC + chunk - 1) / chunk);
        }
    }

    // Channels per item: about four items per worker, so a slow worker does not hold the others up.
    private int ChunkOf(int channels) => Math.Max(1, (channels + 4 * workers.Count - 1) / (4 * workers.Count));

    private float* Worker(int worker) =>
        scratch.ForWorker(worker, 12 * rowLd + 9 * ldI + 4 * stagingLd + 24 * Lanes);

    // U[xi, o, i] = (G k G^T)[xi] for the kernel k joining input channel i to output channel o: w[o, i] forward,
    // w[i, o] turned by 180 degrees for the backward data pass.
    private void TransformFilter(int o, int worker)
    {
        var staged = Worker(worker) + 12 * rowLd;
        for (var tap = 0; tap < 9; tap++)
        {
            var row = staged + tap * ldI;
            for (var i = 0; i < inC; i++)
            {
                row[i] = backwardData
                    ? weight[((long)i * outC + o) * 9 + 8 - tap]
                    : weight[((long)o * inC + i) * 9 + tap];
            }

            for (var i = inC; i < ldI; i++)
            {
                row[i] = 0f;
            }
        }

        var plane = (long)outC * ldI;
        var target = u + (long)o * ldI;
        for (var i = 0; i < ldI; i += 16)
        {
            var s = staged + i;
            Vector512<float> t00, t01, t02, t03, t04, t05, t10, t11, t12, t13, t14, t15, t20, t21, t22, t23, t24, t25;
            FilterColumn(Load(s), Load(s + 3 * ldI), Load(s + 6 * ldI), out t00, out t01, out t02, out t03, out t04,
                out t05);
            FilterColumn(Load(s + ldI), Load(s + 4 * ldI), Load(s + 7 * ldI), out t10, out t11, out t12, out t13,
                out t14, out t15);
            FilterColumn(Load(s + 2 * ldI), Load(s + 5 * ldI), Load(s + 8 * ldI), out t20, out t21, out t22,
                out t23, out t24, out t25);
            var d = target + i;
            FilterRow(t00, t10, t20, d, plane);
            FilterRow(t01, t11, t21, d + 6 * plane, plane);
            FilterRow(t02, t12, t22, d + 12 * plane, plane);
            FilterRow(t03, t13, t23, d + 18 * plane, plane);
            FilterRow(t04, t14, t24, d + 24 * plane, plane);
            FilterRow(t05, t15, t25, d + 30 * plane, plane);
        }
    }

    // G applied to one column (a, b, c) of the kernel.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FilterColumn(Vector512<float> a, Vector512<float> b, Vector512<float> c,
        out Vector512<float> r0, out Vector512<float> r1, out Vector512<float> r2, out Vector512<float> r3,
        out Vector512<float> r4, out Vector512<float> r5)
    {
        var ac = a + c;
        r0 = a * (1f / 4);
        r1 = (ac + b) * (-1f / 6);
        r2 = (ac - b) * (-1f / 6);
        var a24 = a * (1f / 24) + c * (1f / 6);
        var b12 = b * (1f / 12);
        r3 = a24 + b12;
        r4 = a24 - b12;
        r5 = c;
    }

    // G^T applied along one row (a, b, c) of G k; the six results go to consecutive transform points.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FilterRow(Vector512<float> a, Vector512<float> b, Vector512<float> c, float* d, long plane)
    {
        FilterColumn(a, b, c, out var r0, out var r1, out var r2, out var r3, out var r4, out var r5);
        Store(r0, d);
        Store(r1, d + plane);
        Store(r2, d + 2 * plane);
        Store(r3, d + 3 * plane);
        Store(r4, d + 4 * plane);
        Store(r5, d + 5 * plane);
    }

    // V[xi, c, tile] = (B^T d B)[xi] for every tile of one image's channel: rows first, across the whole width in
    // 16-wide vectors; then columns, 8 tiles at a time after picking every 4th column out of the transformed rows.
    private void TransformInput(int image, int c, int worker)
    {
        var rows = Worker(worker);
        var transformed = rows + 6 * rowLd;
        var plane = source + ((long)image * inC + c) * inH * inW;
        var pointStride = (long)inC * ldT;
        var target = v + (long)c * ldT + image * tilesPerImage;
        for (var th = 0; th < tilesH; th++)
        {
            for (var i = 0; i < 6; i++)
            {
                var row = rows + i * rowLd;
                new Span<float>(row, rowLd).Clear();
                var r = th * 4 - padTop + i;
                if ((uint)r < (uint)inH)
                {
                    new ReadOnlySpan<float>(plane + (long)r * inW, inW).CopyTo(new Span<float>(row + padLeft, inW));
                }
            }

            for (var col = 0; col < rowLd; col += 16)
            {
                var s = rows + col;
                InputTransform(Load(s), Load(s + rowLd), Load(s + 2 * rowLd), Load(s + 3 * rowLd),
                    Load(s + 4 * rowLd), Load(s + 5 * rowLd), out var t0, out var t1, out var t2, out var t3,
                    out var t4, out var t5);
                var d = transformed + col;
                Store(t0, d);
                Store(t1, d + rowLd);
                Store(t2, d + 2 * rowLd);
                Store(t3, d + 3 * rowLd);
                Store(t4, d + 4 * rowLd);
                Store(t5, d + 5 * rowLd);
            }

            // NOTE: a group past the row's last tile stores into the next tile row's columns (written later) or
            // into the slack after the block's last tile, so no mask is needed.
            for (var j0 = 0; j0 < tilesW; j0 += Lanes)
            {
                var d = target + th * tilesW + j0;
                for (var i = 0; i < 6; i++)
                {
                    var s = transformed + i * rowLd + 4 * j0;
                    Vector512<float> lo = Load(s), hi = Load(s + 16), lo4 = Load(s + 4), hi4 = Load(s + 20);
                    InputTransform(Pick(lo, hi, 0), Pick(lo, hi, 1), Pick(lo, hi, 2), Pick(lo, hi, 3),
                        Pick(lo4, hi4, 0), Pick(lo4, hi4, 1), out var q0, out var q1, out var q2, out var q3,
                        out var q4, out var q5);
                    var point = d + 6 * i * pointStride;
                    q0.Store(point);
                    q1.Store(point + pointStride);
                    q2.Store(point + 2 * pointStride);
                    q3.Store(point + 3 * pointStride);
                    q4.Store(point + 4 * pointStride);
                    q5.Store(point + 5 * pointStride);
                }
            }
        }
    }

    // Every 4th float from the 32 in (lo, hi), starting at the given phase: one column of 8 consecutive tiles.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Pick(Vector512<float> lo, Vector512<float> hi, int phase) =>
        Avx512F.PermuteVar16x32x2(lo, Deinterleave[phase], hi).GetLower();

    // B^T applied to (d0..d5), with its shared sums; plain multiplies and adds (no fused multiply-add), so the
    // result does not depend on which instructions the machine has.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform(Vector512<float> d0, Vector512<float> d1, Vector512<float> d2,
        Vector512<float> d3, Vector512<float> d4, Vector512<float> d5, out Vector512<float> t0,
        out Vector512<float> t1, out Vector512<float> t2, out Vector512<float> t3, out Vector512<float> t4,
        out Vector512<float> t5)
    {
        t0 = d0 * 4f + d4 - d2 * 5f;
        var a = d4 - d2 * 4f;
        var b = d3 - d1 * 4f;
        t1 = a + b;
        t2 = a - b;
        var c = d4 - d2;
        var e = (d3 - d1) * 2f;
        t3 = c + e;
        t4 = c - e;
        t5 = d1 * 4f + d5 - d3 * 5f;
    }

    // The same B^T on 8 tiles at a time.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform(Vector256<float> d0, Vector256<float> d1, Vector256<float> d2,
        Vector256<float> d3, Vector256<float> d4, Vector256<float> d5, out Vector256<float> t0,
        out Vector256<float> t1, out Vector256<float> t2, out Vector256<float> t3, out Vector256<float> t4,
        out Vector256<float> t5)
    {
        t0 = d0 * 4f + d4 - d2 * 5f;
        var a = d4 - d2 * 4f;
        var b = d3 - d1 * 4f;
        t1 = a + b;
        t2 = a - b;
        var c = d4 - d2;
        var e = (d3 - d1) * 2f;
        t3 = c + e;
        t4 = c - e;
        t5 = d1 * 4f + d5 - d3 * 5f;
    }

    // A^T applied to (m0..m5).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform(Vector256<float> m0, Vector256<float> m1, Vector256<float> m2,
        Vector256<float> m3, Vector256<float> m4, Vector256<float> m5, out Vector256<float> y0,
        out Vector256<float> y1, out Vector256<float> y2, out Vector256<float> y3)
    {
        var s1 = m1 + m2;
        var d1 = m1 - m2;
        var s2 = m3 + m4;
        var d2 = m3 - m4;
        y0 = m0 + s1 + s2;
        y1 = d1 + d2 * 2f;
        y2 = s1 + s2 * 4f;
        y3 = d1 + d2 * 8f + m5;
    }

    // One output channel of one image from M[xi, k, tile]: columns of each tile group first, then rows; the four
    // output rows of a tile row are assembled 8 tiles at a time and then added or copied to the output.
    private void TransformOutput(int image, int k, int worker)
    {
        var scratchBase = Worker(worker) + 12 * rowLd + 9 * ldI;
        var staging = scratchBase;
        var half = (Vector256<float>*)(scratchBase + 4 * stagingLd);
        var pointStride = (long)outC * ldT;
        var products = m + (long)k * ldT + image * tilesPerImage;
        var plane = destination + ((long)image * outC + k) * outH * outW;
        var add = bias == null ? 0f : bias[k];
        for (var th = 0; th < tilesH; th++)
        {
            for (var j0 = 0; j0 < tilesW; j0 += Lanes)
            {
                var s = products + th * tilesW + j0;
                for (var i = 0; i < 6; i++)
                {
                    var p = s + 6 * i * pointStride;
                    OutputTransform(Vector256.Load(p), Vector256.Load(p + pointStride),
                        Vector256.Load(p + 2 * pointStride), Vector256.Load(p + 3 * pointStride),
                        Vector256.Load(p + 4 * pointStride), Vector256.Load(p + 5 * pointStride),
                        out half[i * 4], out half[i * 4 + 1], out half[i * 4 + 2], out half[i * 4 + 3]);
                }

                Vector256<float> r00, r01, r02, r03, r10, r11, r12, r13, r20, r21, r22, r23, r30, r31, r32, r33;
                OutputTransform(half[0], half[4], half[8], half[12], half[16], half[20], out r00, out r10, out r20,
                    out r30);
                OutputTransform(half[1], half[5], half[9], half[13], half[17], half[21], out r01, out r11, out r21,
                    out r31);
                OutputTransform(half[2], half[6], half[10], half[14], half[18], half[22], out r02, out r12, out r22,
                    out r32);
                OutputTransform(half[3], half[7], half[11], half[15], half[19], half[23], out r03, out r13, out r23,
                    out r33);
                var d = staging + 4 * j0;
                StoreRow(r00, r01, r02, r03, d);
                StoreRow(r10, r11, r12, r13, d + stagingLd);
                StoreRow(r20, r21, r22, r23, d + 2 * stagingLd);
                StoreRow(r30, r31, r32, r33, d + 3 * stagingLd);
            }

            for (var a = 0; a < 4 && th * 4 + a < outH; a++)
            {
                var from = new ReadOnlySpan<float>(staging + a * stagingLd, outW);
                var to = new Span<float>(plane + (long)(th * 4 + a) * outW, outW);
                if (backwardData)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(from, to, to);
                }
                else if (bias != null)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(from, add, to);
                }
                else
                {
                    from.CopyTo(to);
                }
            }
        }
    }

    // Output row a of 8 tiles: (y[a,0], y[a,1], y[a,2], y[a,3]) per tile, tile after tile, as 32 floats.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector256<float> c0, Vector256<float> c1, Vector256<float> c2, Vector256<float> c3,
        float* d)
    {
        var lo = Vector512.Create(c0, c1);
        var hi = Vector512.Create(c2, c3);
        Store(Avx512F.PermuteVar16x32x2(lo, Interleave[0], hi), d);
        Store(Avx512F.PermuteVar16x32x2(lo, Interleave[1], hi), d + 16);
    }

    private static Vector512<int>[] MakeDeinterleave()
    {
        var result = new Vector512<int>[4];
        var lanes = new int[16];
        for (var phase = 0; phase < 4; phase++)
        {
            for (var lane = 0; lane < 16; lane++)
            {
                lanes[lane] = (4 * lane + phase) & 31;
            }

            result[phase] = Vector512.Create(lanes);
        }

        return result;
    }

    // Lane l of output half h holds tile 4h + l/4, column l%4, which sits in (lo, hi) at 8 * column + tile.
    private static Vector512<int>[] MakeInterleave()
    {
        var result = new Vector512<int>[2];
        var lanes = new int[16];
        for (var h = 0; h < 2; h++)
        {
            for (var lane = 0; lane < 16; lane++)
            {
                lanes[lane] = 8 * (lane % 4) + 4 * h + lane / 4;
            }

            result[h] = Vector512.Create(lanes);
        }

        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load(float* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> value, float* p) => value.Store(p);

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
