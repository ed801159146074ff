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
/// 2 - p; the weight gradient is the adjoint, dU[xi] = sum over tiles of (A dy A^T)[xi] (B^T d B)[xi]^T, one GEMM
/// per point, then dw += G^T dU G. The kernels are transformed first, packed as the products read them. Forward
/// and backward data then run, where a block's transformed input fits a worker's cache, as one fused pipeline per
/// block of up to 32 tiles (input transform, the 36 products, output transform, all by one worker, so V and M never
/// go through memory); otherwise, and for the weight gradient, a batch runs in blocks of whole images in three
/// team-wide phases per block (input transform over channels, one product per transform point, output transform
/// over channels). Either way the blocks follow from the shapes alone and each output element is made by the same
/// arithmetic whichever thread takes which item: results are bitwise the same for any thread count.
/// </summary>
/// <remarks>
/// Rounding: the transforms scale values by up to 8 (A), 5 (B) and mix in 1/6, 1/12, 1/24 (G), so the error is
/// larger than the direct sum's; measured on random data it stays below 2^-24 * 64 * sum |x||w| per output, in
/// all three directions (Tests/Kernels/WinogradOracleTests.cs states and checks the bound). The transformed
/// kernels are made on every call: the weights change after every optimizer step, and the backward data pass needs
/// those of the turned kernel, so a cache would serve only repeated forward passes.
/// </remarks>
internal sealed unsafe partial class WinogradConv : IParallelJob
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
    private int blockImages, blockTiles, chunk, workerFloats, rowBlocks, rowsPerBlock, tileRows, transformFloats;
    private long pointU;
    private bool backwardData;
    private float* source;
    private float* destination;
    private float* bias;
    private float* weight;
    private float* u;
    private float* v;
    private float* m;
    private float* gradient;
    private float gemmBeta;

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
        OutputGradient,
        GradientProducts,
        FilterGradient,
        Fused,
    }

    /// <summary>Whether the forward pass of <paramref name="g"/> runs here.</summary>
    public static bool SuitsForward(in Conv2dGeometry g) => Suits(g) && Pays(g.N, g.C, g.K, g.P, g.Q);

    /// <summary>Whether the backward data pass of <paramref name="g"/> runs here: the turned kernel's padding
    /// 2 - p must not be negative.</summary>
    public static bool SuitsBackwardData(in Conv2dGeometry g) => Suits(g) && g.PadTop <= 2 && g.PadLeft <= 2 &&
        g.PadBottom <= 2 && g.PadRight <= 2 && Pays(g.N, g.K, g.C, g.H, g.W);

    /// <summary>Whether the weight gradient of <paramref name="g"/> runs here.</summary>
    public static bool SuitsBackwardFilter(in Conv2dGeometry g) => Suits(g) && Pays(g.N, g.C, g.K, g.P, g.Q);

    private static bool Suits(in Conv2dGeometry g) => Enabled && Avx512F.IsSupported && g.R == 3 && g.S == 3 &&
        g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1 && g.Groups == 1;

    // Few channels leave the GEMMs too thin to beat im2col; on maps of 2x2 or so a 6x6 tile multiplies as often
    // as the direct sum (36 products for 4 outputs of 9 taps each). The tiles of all the images are the columns of
    // the 36 products: with fewer than MinTiles (one image's small maps, as in batch-1 inference) those products are
    // too thin to run at speed and the kernel transform is not repaid; batch-1 ResNet-18 took 53 ms on them against
    // 20 ms through im2col.
    private static bool Pays(int images, int inChannels, int outChannels, int height, int width)
    {
        if (inChannels < 8 || outChannels < 8)
        {
            return false;
        }

        var tiles = (long)((height + 3) / 4) * ((width + 3) / 4);
        return 9L * height * width >= 2 * Points * tiles && images * tiles >= MinTiles;
    }

    private const int MinTiles = 64;

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

    // x:(N,C,H,W) dy:(N,K,P,Q) dw:(K,C,3,3) += ... db:(K)? += ...
    // dU[xi] = sum over tiles of (A dy A^T)[xi] (B^T d B)[xi]^T per (k, c), one GEMM per point summed over the
    // blocks; then dw += G^T dU G.
    public void BackwardFilter(in Conv2dGeometry g, float* x, float* dy, float* dw, float* db)
    {
        Plan(g.C, g.K, g.H, g.W, g.P, g.Q, g.PadTop, g.PadLeft, backward: false);
        var imagesPerBlock = PrepareBlocks(g.N);
        weight = dw;
        bias = db;
        for (var first = 0; first < g.N; first += imagesPerBlock)
        {
            SetBlock(first, Math.Min(imagesPerBlock, g.N - first), x, null);
            gradient = dy + (long)first * outC * outH * outW;
            RunPhase(Phase.Input, inC);
            RunPhase(Phase.OutputGradient, outC);
            gemmBeta = first == 0 ? 0f : 1f;
            phase = Phase.GradientProducts;
            workers.Run(this, Points);
        }

        RunPhase(Phase.FilterGradient, outC);
    }

    public void Run(int index, int worker)
    {
        switch (phase)
        {
            case Phase.Filter:
                TransformFilters(index, worker);
                break;
            case Phase.Input:
                for (int c = index * chunk, end = Math.Min(inC, c + chunk); c < end; c++)
                {
                    if (SmallSide != 0)
                    {
                        for (var image = 0; image < blockImages; image += 16)
                        {
                            TransformInputSmall(c, image, Math.Min(16, blockImages - image), v + (long)c * ldT + image,
                                (long)inC * ldT, blockImages);
                        }

                        continue;
                    }

                    for (var image = 0; image < blockImages; image++)
                    {
                        TransformInput(image, c, worker);
                    }
                }

                break;
            case Phase.Products:
                Products(index);
                break;
            case Phase.Output:
                for (int k = index * chunk, end = Math.Min(outC, k + chunk); k < end; k++)
                {
                    if (SmallSide != 0)
                    {
                        for (var image = 0; image < blockImages; image += 16)
                        {
                            TransformOutputSmall(m + (long)k * ldT + image, (long)outC * ldT, blockImages, k, image,
                                Math.Min(16, blockImages - image));
                        }

                        continue;
                    }

                    for (var image = 0; image < blockImages; image++)
                    {
                        TransformOutput(image, k, worker);
                    }
                }

                break;
            case Phase.OutputGradient:
                for (int k = index * chunk, end = Math.Min(outC, k + chunk); k < end; k++)
                {
                    if (SmallSide != 0)
                    {
                        for (var image = 0; image < blockImages; image += 16)
                        {
                            TransformOutputGradientSmall(k, image, Math.Min(16, blockImages - image),
                                m + (long)k * ldT + image, (long)outC * ldT, blockImages);
                        }

                        continue;
                    }

                    for (var image = 0; image < blockImages; image++)
                    {
                        TransformOutputGradient(image, k, worker);
                    }
                }

                break;
            case Phase.GradientProducts:
                CpuGemm.Sgemm(false, true, outC, inC, blockTiles, 1f, m + (long)index * outC * ldT, ldT,
                    v + (long)index * inC * ldT, ldT, gemmBeta, u + (long)index * outC * ldI, ldI, parallel: false);
                break;
            case Phase.Fused:
                Fused(index, worker);
                break;
            default:
                for (int k = index * chunk, end = Math.Min(outC, k + chunk); k < end; k++)
                {
                    FilterGradient(k, worker);
                }

                break;
        }
    }

    // M[xi] = U[xi] V[xi] for one transform point, a block of 14 output channels at a time against all the block's
    // tiles, 32 at a time: the block's packed U (14 * inC floats) stays in L1 while V[xi] streams from L2.
    private void Products(int point)
    {
        var packed = u + (long)point * pointU;
        var transformed = v + (long)point * inC * ldT;
        var products = m + (long)point * outC * ldT;
        for (var first = 0; first < outC; first += WinogradProducts.Rows)
        {
            var rows = Math.Min(WinogradProducts.Rows, outC - first);
            var a = packed + (long)first / WinogradProducts.Rows * WinogradProducts.Stride * inC;
            var c = products + (long)first * ldT;
            for (var j = 0; j < blockTiles; j += WinogradProducts.Columns)
            {
                WinogradProducts.Tile(rows, inC, a, transformed + j, ldT, c + j, ldT);
            }
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
        rowBlocks = (outC + WinogradProducts.Rows - 1) / WinogradProducts.Rows;
        pointU = (long)rowBlocks * WinogradProducts.Stride * inC;
    }

    private void Run(int n, float* input, float* w, float* b, float* output)
    {
        weight = w;
        bias = b;
        if (FusedFits())
        {
            RunFused(n, input, output);
            return;
        }

        var imagesPerBlock = PrepareBlocks(n);
        phase = Phase.Filter;
        workers.Run(this, rowBlocks);
        for (var first = 0; first < n; first += imagesPerBlock)
        {
            SetBlock(first, Math.Min(imagesPerBlock, n - first), input, output);
            RunPhase(Phase.Input, inC);
            phase = Phase.Products;
            workers.Run(this, Points);
            RunPhase(Phase.Output, outC);
        }
    }

    // Whether a block's transformed input, V[xi][c][0..FusedLd), stays in a worker's share of L2 beside the
    // transformed kernels it meets, and a block of whole tile rows fits the products' 32 tiles.
    private bool FusedFits() => (long)Points * inC * FusedLd * sizeof(float) <= FusedBytes && tilesW <= 32;

    // The fused pipeline: each item is a block of whole tile rows (up to 32 tiles, across images), which one worker
    // takes through all three steps, input transform, the 36 products and the output transform, so the block's V
    // and M never leave its caches. Blocks are fixed by the shapes, not by the workers.
    private void RunFused(int n, float* input, float* output)
    {
        rowsPerBlock = WinogradProducts.Columns / tilesW;
        tileRows = n * tilesH;
        transformFloats = 12 * rowLd + 4 * stagingLd + 24 * Lanes;
        var fusedFloats = transformFloats + 16 + Points * (inC + WinogradProducts.Rows) * FusedLd;
        workerFloats = Math.Max(fusedFloats, 9 * 16 * inC);
        scratch.Reserve(workerFloats);
        u = Align(scratch.Shared(0, (int)(Points * pointU) + 16));
        source = input;
        destination = output;
        phase = Phase.Filter;
        workers.Run(this, rowBlocks);
        phase = Phase.Fused;
        workers.Run(this, (tileRows + rowsPerBlock - 1) / rowsPerBlock);
    }

    private void Fused(int block, int worker)
    {
        var rows = Worker(worker);
        var transformed = Align(rows + transformFloats);
        var products = transformed + Points * inC * FusedLd;
        var first = block * rowsPerBlock;
        var count = Math.Min(rowsPerBlock, tileRows - first);
        var small = SmallSide == 4;
        for (var c = 0; c < inC; c++)
        {
            // On 4x4 maps a tile row is one image.
            for (var row = 0; small && row < count; row += 16)
            {
                TransformInputSmall(c, first + row, Math.Min(16, count - row), transformed + c * FusedLd + row,
                    (long)inC * FusedLd, 0);
            }

            for (var row = 0; !small && row < count; row++)
            {
                var (image, th) = Math.DivRem(first + row, tilesH);
                InputTileRow(source + ((long)image * inC + c) * inH * inW, th,
                    transformed + c * FusedLd + row * tilesW, (long)inC * FusedLd, rows);
            }
        }

        for (var k0 = 0; k0 < outC; k0 += WinogradProducts.Rows)
        {
            var kernels = Math.Min(WinogradProducts.Rows, outC - k0);
            for (var point = 0; point < Points; point++)
            {
                WinogradProducts.Tile(kernels, inC,
                    u + point * pointU + (long)k0 / WinogradProducts.Rows * WinogradProducts.Stride * inC,
                    transformed + point * inC * FusedLd, FusedLd,
                    products + point * WinogradProducts.Rows * FusedLd, FusedLd);
            }

            for (var r = 0; r < kernels; r++)
            {
                var k = k0 + r;
                var add = bias == null ? 0f : bias[k];
                for (var row = 0; small && row < count; row += 16)
                {
                    TransformOutputSmall(products + r * FusedLd + row, WinogradProducts.Rows * FusedLd, 0, k,
                        first + row, Math.Min(16, count - row));
                }

                for (var row = 0; !small && row < count; row++)
                {
                    var (image, th) = Math.DivRem(first + row, tilesH);
                    OutputTileRow(products + r * FusedLd + row * tilesW, WinogradProducts.Rows * FusedLd,
                        destination + ((long)image * outC + k) * outH * outW, th, add, rows + 12 * rowLd);
                }
            }
        }
    }

    // Floats per row of a fused block's V and M: 32 tiles, the 8-tile transform groups' overrun, 64-byte rows.
    private const int FusedLd = 48;

    // A worker's V in the fused pipeline; the transformed kernels stream through L2 beside it.
    private const long FusedBytes = 1L << 20;

    // Sizes the blocks of images and the scratch; returns the images per block.
    private int PrepareBlocks(int n)
    {
        var bytesPerImage = (long)Points * (inC + outC) * tilesPerImage * sizeof(float);
        var imagesPerBlock = (int)Math.Clamp(BlockBytes / bytesPerImage, 1, n);
        var blocks = (n + imagesPerBlock - 1) / imagesPerBlock;
        imagesPerBlock = (n + blocks - 1) / blocks;

        // The products read and write whole groups of 32 tiles, and stores of a group of 8 tiles in the transforms
        // may run 7 columns past the block's last tile; the odd multiple of 16 keeps the row stride off multiples
        // of 4 KiB, which would map every row of V to the same cache set.
        ldT = RoundUp(imagesPerBlock * tilesPerImage, WinogradProducts.Columns) + 16;

        // Per worker: six padded input rows and their transform, four output rows and the 24 half-transformed
        // output vectors; or, in the first phase, the staged 3x3 kernels of an item's output channels.
        workerFloats = Math.Max(12 * rowLd + 4 * stagingLd + 24 * Lanes, 9 * 16 * inC);
        scratch.Reserve(workerFloats);
        u = Align(scratch.Shared(0, (int)Math.Max(Points * pointU, (long)Points * outC * ldI) + 16));
        v = scratch.Shared(1, Points * inC * ldT);
        m = scratch.Shared(2, Points * outC * ldT);
        return imagesPerBlock;
    }

    private void SetBlock(int first, int images, float* input, float* output)
    {
        blockImages = images;
        blockTiles = images * tilesPerImage;
        source = input + (long)first * inC * inH * inW;
        destination = output + (long)first * outC * outH * outW;
    }

    // One team-wide pass over the channels of a phase, a few channels per item.
    private void RunPhase(Phase next, int channels)
    {
        phase = next;
        chunk = ChunkOf(channels);
        workers.Run(this, (channels + chunk - 1) / chunk);
    }

    // Channels per item: about four items per worker, so a slow worker does not hold the others up.
    private int ChunkOf(int channels) => Math.Max(1, (channels + 4 * workers.Count - 1) / (4 * workers.Count));

    private float* Worker(int worker) => scratch.ForWorker(worker, workerFloats);

    // U[xi, o, i] = (G k G^T)[xi] for the kernel k joining input channel i to output channel o: w[o, i] forward,
    // w[i, o] turned by 180 degrees for the backward data pass. An item is one block of 14 output channels, the
    // rows of one register tile of the products: its kernels are staged tap-major with the 14 channels in the lanes
    // (lanes 14 and 15 zero), transformed 16 lanes at a time, and stored packed as the products read them,
    // U[xi][block][i][0..16): whole aligned vectors, so each step of the products reads one cache line of U.
    private void TransformFilters(int block, int worker)
    {
        var staged = Worker(worker);
        var first = block * WinogradProducts.Rows;
        var rows = Math.Min(WinogradProducts.Rows, outC - first);
        if (!backwardData)
        {
            for (var r = 0; r < rows; r++)
            {
                var kernel = weight + (long)(first + r) * inC * 9;
                for (var t = 0; t < 9 * inC; t++)
                {
                    staged[t * 16 + r] = kernel[t];
                }
            }
        }
        else
        {
            // The block's kernels of one input channel lie side by side in w: read them in order.
            for (var i = 0; i < inC; i++)
            {
                var kernels = weight + ((long)i * outC + first) * 9;
                var target = staged + i * 9 * 16;
                for (var r = 0; r < rows; r++)
                {
                    for (var tap = 0; tap < 9; tap++)
                    {
                        target[tap * 16 + r] = kernels[r * 9 + 8 - tap];
                    }
                }
            }
        }

        // Lanes past the block's channels are never stored; zero them so that no stale value is computed on.
        for (var r = rows; r < 16; r++)
        {
            for (var t = 0; t < 9 * inC; t++)
            {
                staged[t * 16 + r] = 0f;
            }
        }

        var target0 = u + (long)block * WinogradProducts.Stride * inC;
        for (var i = 0; i < inC; i++)
        {
            var s = staged + i * 9 * 16;
            Vector512<float> t00, t01, t02, t03, t04, t05, t10, t11, t12, t13, t14, t15, t20, t21, t22, t23, t24, t25;
            FilterColumn(Load(s), Load(s + 48), Load(s + 96), out t00, out t01, out t02, out t03, out t04, out t05);
            FilterColumn(Load(s + 16), Load(s + 64), Load(s + 112), out t10, out t11, out t12, out t13, out t14,
                out t15);
            FilterColumn(Load(s + 32), Load(s + 80), Load(s + 128), out t20, out t21, out t22, out t23, out t24,
                out t25);
            var d = target0 + i * WinogradProducts.Stride;
            FilterRow(t00, t10, t20, d, pointU);
            FilterRow(t01, t11, t21, d + 6 * pointU, pointU);
            FilterRow(t02, t12, t22, d + 12 * pointU, pointU);
            FilterRow(t03, t13, t23, d + 18 * pointU, pointU);
            FilterRow(t04, t14, t24, d + 24 * pointU, pointU);
            FilterRow(t05, t15, t25, d + 30 * pointU, pointU);
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

    // V[xi, c, tile] = (B^T d B)[xi] for every tile of one image's channel.
    private void TransformInput(int image, int c, int worker)
    {
        var plane = source + ((long)image * inC + c) * inH * inW;
        var target = v + (long)c * ldT + image * tilesPerImage;
        for (var th = 0; th < tilesH; th++)
        {
            InputTileRow(plane, th, target + th * tilesW, (long)inC * ldT, Worker(worker));
        }
    }

    // The tiles of tile row th of one channel's plane, to d[xi * pointStride + tw]: rows first, across the whole
    // width in 16-wide vectors; then columns, 8 tiles at a time after picking every 4th column out of the
    // transformed rows. NOTE: a group past the row's last tile stores up to 7 columns past it, into the next tile
    // row's columns (written later) or into slack after the last tile, so no mask is needed.
    private void InputTileRow(float* plane, int th, float* d, long pointStride, float* rows)
    {
        var transformed = rows + 6 * rowLd;
        for (var i = 0; i < 6; i++)
        {
            var row = rows + i * rowLd;
            for (var col = 0; col < rowLd; col += 16)
            {
                Store(Vector512<float>.Zero, row + col);
            }

            var r = th * 4 - padTop + i;
            if ((uint)r < (uint)inH)
            {
                Move(plane + (long)r * inW, row + padLeft, inW, 0f, accumulate: false);
            }
        }

        for (var col = 0; col < rowLd; col += 16)
        {
            var s = rows + col;
            InputTransform(Load(s), Load(s + rowLd), Load(s + 2 * rowLd), Load(s + 3 * rowLd),
                Load(s + 4 * rowLd), Load(s + 5 * rowLd), out var t0, out var t1, out var t2, out var t3,
                out var t4, out var t5);
            var t = transformed + col;
            Store(t0, t);
            Store(t1, t + rowLd);
            Store(t2, t + 2 * rowLd);
            Store(t3, t + 3 * rowLd);
            Store(t4, t + 4 * rowLd);
            Store(t5, t + 5 * rowLd);
        }

        for (var j0 = 0; j0 < tilesW; j0 += Lanes)
        {
            for (var i = 0; i < 6; i++)
            {
                var s = transformed + i * rowLd + 4 * j0;
                Vector512<float> lo = Load(s), hi = Load(s + 16), lo4 = Load(s + 4), hi4 = Load(s + 20);
                InputTransform(Pick(lo, hi, 0), Pick(lo, hi, 1), Pick(lo, hi, 2), Pick(lo, hi, 3),
                    Pick(lo4, hi4, 0), Pick(lo4, hi4, 1), out var q0, out var q1, out var q2, out var q3,
                    out var q4, out var q5);
                var point = d + j0 + 6 * i * pointStride;
                q0.Store(point);
                q1.Store(point + pointStride);
                q2.Store(point + 2 * pointStride);
                q3.Store(point + 3 * pointStride);
                q4.Store(point + 4 * pointStride);
                q5.Store(point + 5 * pointStride);
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

    // One output channel of one image from M[xi, k, tile].
    private void TransformOutput(int image, int k, int worker)
    {
        var products = m + (long)k * ldT + image * tilesPerImage;
        var plane = destination + ((long)image * outC + k) * outH * outW;
        var add = bias == null ? 0f : bias[k];
        for (var th = 0; th < tilesH; th++)
        {
            OutputTileRow(products + th * tilesW, (long)outC * ldT, plane, th, add, Worker(worker) + 12 * rowLd);
        }
    }

    // Tile row th of one output channel's plane from s[xi * pointStride + tw]: columns of each group of 8 tiles
    // first, then rows; the four output rows are assembled 8 tiles at a time and then added or copied to the plane.
    private void OutputTileRow(float* s, long pointStride, float* plane, int th, float add, float* scratchBase)
    {
        var staging = scratchBase;
        var half = (Vector256<float>*)(scratchBase + 4 * stagingLd);
        for (var j0 = 0; j0 < tilesW; j0 += Lanes)
        {
            for (var i = 0; i < 6; i++)
            {
                var p = s + j0 + 6 * i * pointStride;
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
            Move(staging + a * stagingLd, plane + (long)(th * 4 + a) * outW, outW, add, backwardData);
        }
    }

    // to[0..count) = from + add, or += from when accumulating; the rows are short (4 to 32 floats on CIFAR maps),
    // where a library call's set-up would cost more than the copy.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Move(float* from, float* to, int count, float add, bool accumulate)
    {
        var i = 0;
        if (accumulate)
        {
            for (; i + 16 <= count; i += 16)
            {
                Store(Load(from + i) + Load(to + i), to + i);
            }

            for (; i < count; i++)
            {
                to[i] += from[i];
            }
        }
        else
        {
            var addend = Vector512.Create(add);
            for (; i + 16 <= count; i += 16)
            {
                Store(Load(from + i) + addend, to + i);
            }

            for (; i < count; i++)
            {
                to[i] = from[i] + add;
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

    // dM[xi, k, tile] = (A dy A^T)[xi] for every tile of one image's output-gradient channel (zero past the map),
    // the adjoint of the output transform: rows picked apart into their 4 columns, 8 tiles at a time. The channel's
    // bias gradient is summed here too, image after image in a fixed order.
    private void TransformOutputGradient(int image, int k, int worker)
    {
        var staging = Worker(worker) + 12 * rowLd;
        var pointStride = (long)outC * ldT;
        var target = m + (long)k * ldT + image * tilesPerImage;
        var plane = gradient + ((long)image * outC + k) * outH * outW;
        if (bias != null)
        {
            bias[k] += Sum(plane, outH * outW);
        }

        for (var th = 0; th < tilesH; th++)
        {
            for (var a = 0; a < 4; a++)
            {
                var row = staging + a * stagingLd;
                for (var col = 0; col < stagingLd; col += 16)
                {
                    Store(Vector512<float>.Zero, row + col);
                }

                if (th * 4 + a < outH)
                {
                    Move(plane + (long)(th * 4 + a) * outW, row, outW, 0f, accumulate: false);
                }
            }

            for (var j0 = 0; j0 < tilesW; j0 += Lanes)
            {
                var s = staging + 4 * j0;
                Vector256<float> h00, h01, h02, h03, h04, h05, h10, h11, h12, h13, h14, h15;
                Vector256<float> h20, h21, h22, h23, h24, h25, h30, h31, h32, h33, h34, h35;
                GradientRow(s, out h00, out h01, out h02, out h03, out h04, out h05);
                GradientRow(s + stagingLd, out h10, out h11, out h12, out h13, out h14, out h15);
                GradientRow(s + 2 * stagingLd, out h20, out h21, out h22, out h23, out h24, out h25);
                GradientRow(s + 3 * stagingLd, out h30, out h31, out h32, out h33, out h34, out h35);
                var d = target + th * tilesW + j0;
                GradientColumn(h00, h10, h20, h30, d, 6 * pointStride);
                GradientColumn(h01, h11, h21, h31, d + pointStride, 6 * pointStride);
                GradientColumn(h02, h12, h22, h32, d + 2 * pointStride, 6 * pointStride);
                GradientColumn(h03, h13, h23, h33, d + 3 * pointStride, 6 * pointStride);
                GradientColumn(h04, h14, h24, h34, d + 4 * pointStride, 6 * pointStride);
                GradientColumn(h05, h15, h25, h35, d + 5 * pointStride, 6 * pointStride);
            }
        }
    }

    // A applied along one output row of 8 tiles (32 floats from s): its 6 transformed columns.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientRow(float* s, out Vector256<float> z0, out Vector256<float> z1,
        out Vector256<float> z2, out Vector256<float> z3, out Vector256<float> z4, out Vector256<float> z5)
    {
        Vector512<float> lo = Load(s), hi = Load(s + 16);
        AdjointOutput(Pick(lo, hi, 0), Pick(lo, hi, 1), Pick(lo, hi, 2), Pick(lo, hi, 3), out z0, out z1, out z2,
            out z3, out z4, out z5);
    }

    // A applied down one column (rows 0..3) of the row-transformed tile; the 6 results go to points 6 apart.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientColumn(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2,
        Vector256<float> y3, float* d, long stride)
    {
        AdjointOutput(y0, y1, y2, y3, out var z0, out var z1, out var z2, out var z3, out var z4, out var z5);
        z0.Store(d);
        z1.Store(d + stride);
        z2.Store(d + 2 * stride);
        z3.Store(d + 3 * stride);
        z4.Store(d + 4 * stride);
        z5.Store(d + 5 * stride);
    }

    // A = (A^T)^T applied to (y0..y3): the adjoint of OutputTransform.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AdjointOutput(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2,
        Vector256<float> y3, out Vector256<float> z0, out Vector256<float> z1, out Vector256<float> z2,
        out Vector256<float> z3, out Vector256<float> z4, out Vector256<float> z5)
    {
        var even = y0 + y2;
        var odd = y1 + y3;
        var even4 = y0 + y2 * 4f;
        var odd8 = y1 * 2f + y3 * 8f;
        z0 = y0;
        z1 = even + odd;
        z2 = even - odd;
        z3 = even4 + odd8;
        z4 = even4 - odd8;
        z5 = y3;
    }

    // dw[k, c] += G^T dU[k, c] G, 16 input channels at a time.
    private void FilterGradient(int k, int worker)
    {
        var staged = Worker(worker);
        var plane = (long)outC * ldI;
        for (var c0 = 0; c0 < inC; c0 += 16)
        {
            var s = u + (long)k * ldI + c0;
            Vector512<float> t00, t01, t02, t03, t04, t05, t10, t11, t12, t13, t14, t15, t20, t21, t22, t23, t24, t25;
            AdjointFilter(s, 6 * plane, out t00, out t10, out t20);
            AdjointFilter(s + plane, 6 * plane, out t01, out t11, out t21);
            AdjointFilter(s + 2 * plane, 6 * plane, out t02, out t12, out t22);
            AdjointFilter(s + 3 * plane, 6 * plane, out t03, out t13, out t23);
            AdjointFilter(s + 4 * plane, 6 * plane, out t04, out t14, out t24);
            AdjointFilter(s + 5 * plane, 6 * plane, out t05, out t15, out t25);
            AdjointFilter(t00, t01, t02, t03, t04, t05, out var w0, out var w1, out var w2);
            AdjointFilter(t10, t11, t12, t13, t14, t15, out var w3, out var w4, out var w5);
            AdjointFilter(t20, t21, t22, t23, t24, t25, out var w6, out var w7, out var w8);
            Store(w0, staged);
            Store(w1, staged + 16);
            Store(w2, staged + 32);
            Store(w3, staged + 48);
            Store(w4, staged + 64);
            Store(w5, staged + 80);
            Store(w6, staged + 96);
            Store(w7, staged + 112);
            Store(w8, staged + 128);
            var target = weight + ((long)k * inC + c0) * 9;
            for (int c = 0, count = Math.Min(16, inC - c0); c < count; c++)
            {
                for (var tap = 0; tap < 9; tap++)
                {
                    target[c * 9 + tap] += staged[tap * 16 + c];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AdjointFilter(float* s, long stride, out Vector512<float> r0, out Vector512<float> r1,
        out Vector512<float> r2) => AdjointFilter(Load(s), Load(s + stride), Load(s + 2 * stride),
        Load(s + 3 * stride), Load(s + 4 * stride), Load(s + 5 * stride), out r0, out r1, out r2);

    // G^T applied to (z0..z5): the adjoint of FilterColumn.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AdjointFilter(Vector512<float> z0, Vector512<float> z1, Vector512<float> z2,
        Vector512<float> z3, Vector512<float> z4, Vector512<float> z5, out Vector512<float> r0,
        out Vector512<float> r1, out Vector512<float> r2)
    {
        var s12 = z1 + z2;
        var s34 = z3 + z4;
        r0 = z0 * (1f / 4) - s12 * (1f / 6) + s34 * (1f / 24);
        r1 = (z2 - z1) * (1f / 6) + (z3 - z4) * (1f / 12);
        r2 = (s34 - s12) * (1f / 6) + z5;
    }

    // A fixed-order sum (16 lanes, then the lanes and the tail in order), so it is the same on every run.
    private static float Sum(float* values, int count)
    {
        var lanes = Vector512<float>.Zero;
        var i = 0;
        for (; i + 16 <= count; i += 16)
        {
            lanes += Load(values + i);
        }

        var total = Vector512.Sum(lanes);
        for (; i < count; i++)
        {
            total += values[i];
        }

        return total;
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

    // The next 64-byte boundary: packed rows of U and the fused block's rows then fill whole cache lines.
    private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
