using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GpuCnn.Kernels.Cpu.Gemm;
using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels.Cpu.Direct;

/// <summary>
/// Forward convolution for outputs of few pixels and many channels: the deep layers of a network on 32x32 images
/// run one image at a time (batch-1 inference: 4x4 and 2x2 maps of 512 channels). There im2col + GEMM has 16 or 4
/// columns for a register tile 32 wide, and it packs the whole weight matrix, 9 MB a layer, to use each weight as
/// many times. Here the weights are read in place, (K, C*R*S) as stored, once per call, and nothing is packed.
/// <para>
/// More than <see cref="PanelMinColumns"/> output pixels (N*P*Q, at most <see cref="MaxColumns"/>): the receptive
/// fields are gathered once into a panel of C*R*S rows of 16 lanes, lane j holding pixel j (zero past the last), so
/// that one vector of sums holds an output channel's 16 pixels and needs no horizontal addition. A tile of 16
/// channels loads one panel vector per tap and multiplies it by each channel's weight broadcast from memory: 16
/// fused multiply-adds for 17 loads, against 24 for 10 of the dot-product tile below, but no reductions, no reloaded
/// partial sums per block of pixels and one weight row per channel instead of one per 4 pixels. The 16 rows are
/// copied a chunk of 256 taps at a time into 16 KiB of L1 so that the broadcasts address one register plus
/// constants, and the next chunk's lines are prefetched into L2 one per step, which hides a read from memory behind
/// the arithmetic (batch-1 VGG's weights, 60 MB, come from memory at each pass, not from L3).
/// </para>
/// <para>
/// At most 4 pixels (2x2 maps at batch 1), where a 16-pixel vector would be three quarters zeros: each pixel gets
/// its receptive field as one contiguous row (C*R*S floats, zero padded to whole vectors), and every output is a dot
/// product of that row with a weight row: a register tile of 6 channels x 4 pixels keeps 24 sums over 16 lanes, so
/// each step loads 6 weight and 4 pixel vectors for 24 fused multiply-adds, with the weights prefetched 1 KiB ahead.
/// </para>
/// Both cores share a layer by taking blocks of output channels, contiguous ranges of the weights. The sums' order
/// depends only on the shape, so results never depend on the thread count.
/// </summary>
internal sealed unsafe class Conv2dFewPixels : IParallelJob
{
    /// <summary>Output pixels over the batch that the kernel takes at most.</summary>
    public const int MaxColumns = 16;

    private const int Lanes = MaxColumns; // one vector holds every column, in both tiles
    private const int TileRows = 6;
    private const int TileCols = 4;

    // Taps per chunk: 16 columns of it fill 16 KiB of L1, the tile's 6 weight rows 6 KiB.
    private const int ChunkTaps = 256;

    // How far ahead of the dot-product tile its weight rows are prefetched, in floats (1 KiB, 16 lines a row):
    // 2x2 maps of batch-1 VGG took 0.31 ms against 0.40 without it when the weights came from memory.
    private const int TilePrefetch = 256;

    // Fewer taps than this leave the sums too short to pay for the horizontal additions and the weights small
    // enough for the GEMM's packing to cost little (measured: ResNet's 1x1 downsampling of 256 channels at 4x4 took
    // 0.33 ms here against 0.15 ms through im2col, and 0.19 ms on the panel against 0.13).
    private const int MinTaps = 512;

    /// <summary>Pixels over the batch above which the panel of 16-pixel vectors is used.</summary>
    public const int PanelMinColumns = 4;

    // Output channels of a panel tile (16 vectors of sums and the panel's vector take 17 of the 32 registers) and
    // taps of a chunk of their weights copied to L1 (16 KiB, beside the panel's 16 KiB for the same taps).
    private const int PanelRows = 16;
    private const int PanelChunk = 256;

    private readonly CpuWorkers workers;
    private readonly CpuScratch scratch;
    private Conv2dGeometry g;
    private float* x;
    private float* w;
    private float* y;
    private float* fields;
    private ConvEpilogue epilogue;
    private bool gathering;
    private bool panelMode;
    private int* offsets;
    private int channelsPerItem;
    private int taps;
    private int stride;
    private int columns;
    private int rowTiles;
    private int tilesPerItem;
    private int head;
    private int vectorEnd;

    public Conv2dFewPixels(CpuWorkers workers, CpuScratch scratch)
    {
        this.workers = workers;
        this.scratch = scratch;
    }

    /// <summary>Off when GPUCNN_FEWPIXELS=0 (for A/B timing); tests set it directly.</summary>
    public static bool Enabled { get; set; } = EnabledBy(Environment.GetEnvironmentVariable("GPUCNN_FEWPIXELS"));

    /// <summary>Whether the kernel is on for a value of GPUCNN_FEWPIXELS (null when unset).</summary>
    internal static bool EnabledBy(string? setting) => setting != "0";

    /// <summary>Whether the forward pass of <paramref name="g"/> runs here.</summary>
    public static bool Fits(in Conv2dGeometry g) => Enabled && Avx512F.IsSupported && g.Groups == 1 &&
        (long)g.N * g.P * g.Q <= MaxColumns && g.C * g.R * g.S >= MinTaps && g.K >= TileRows;

    // x:(N,C,H,W) w:(K,C,R,S) y:(N,K,P,Q) = epilogue(conv(x, w))
    public void Forward(in Conv2dGeometry geometry, float* input, float* weight, float* output, in ConvEpilogue after)
    {
        g = geometry;
        x = input;
        w = weight;
        y = output;
        epilogue = after;
        taps = g.C * g.R * g.S;
        if (g.N * g.P * g.Q > PanelMinColumns)
        {
            ForwardPanel();
            return;
        }

        panelMode = false;
        stride = (taps + Lanes - 1) / Lanes * Lanes;
        columns = g.N * g.P * g.Q;
        // A vector load that straddles two cache lines costs two. When every weight row starts at the same offset
        // within a line, the vectors start at the first boundary of the weights (head taps before it are added one
        // at a time) and the fields are placed at the same offset, so both load whole lines.
        var offset = (int)((nint)w & 63);
        head = offset % sizeof(float) == 0 && taps * sizeof(float) % 64 == 0 ? (64 - offset) % 64 / sizeof(float) : 0;
        vectorEnd = head + (taps - head) / Lanes * Lanes;
        var raw = scratch.Shared(0, columns * stride + 2 * Lanes);
        fields = (float*)((((nint)raw + 63) & ~(nint)63) + (head == 0 ? 0 : offset));

        gathering = true;
        RunItems(columns);

        // About four items a worker, whole tiles each, so a late worker still finds work.
        rowTiles = (g.K + TileRows - 1) / TileRows;
        var items = Math.Min(rowTiles, workers.Count * 4);
        tilesPerItem = (rowTiles + items - 1) / items;
        gathering = false;
        RunItems((rowTiles + tilesPerItem - 1) / tilesPerItem);
    }

    private void RunItems(int count) => workers.Run(this, count);

    public void Run(int index, int worker)
    {
        if (panelMode)
        {
            if (gathering)
            {
                GatherPanel(index);
            }
            else
            {
                RunPanel(index, worker);
            }

            return;
        }

        if (gathering)
        {
            Gather(index);
            return;
        }

        var partial = stackalloc float[TileRows * MaxColumns * Lanes];
        var sums = stackalloc float[TileRows * MaxColumns];
        var end = Math.Min(rowTiles, (index + 1) * tilesPerItem);
        for (var tile = index * tilesPerItem; tile < end; tile++)
        {
            var k0 = tile * TileRows;
            var rows = Math.Min(TileRows, g.K - k0);
            var weights = w + (long)k0 * taps;
            new Span<float>(partial, TileRows * MaxColumns * Lanes).Clear();

            // A chunk of taps at a time for every column, so that the tile's weights come from memory once and the
            // columns' chunks (16 x ChunkTaps floats) stay in L1 while each block of 4 columns sweeps them.
            for (var start = head; start < vectorEnd; start += ChunkTaps)
            {
                var stop = Math.Min(vectorEnd, start + ChunkTaps);
                for (var c0 = 0; c0 < columns; c0 += TileCols)
                {
                    var cols = Math.Min(TileCols, columns - c0);
                    Dispatch<R0>(rows, cols, weights, fields + (long)c0 * stride, start, stop, partial + c0 * Lanes);
                }
            }

            // The taps before the first and after the last whole vector, each as one vector under a mask.
            Edge(rows, weights, 0, head, partial);
            Edge(rows, weights, vectorEnd, taps - vectorEnd, partial);

            Reduce(rows, partial, sums);
            Store(k0, rows, sums);
        }
    }

    // y = epilogue(conv(x, w)) through the panel: gather it, then 16 output channels a tile.
    private void ForwardPanel()
    {
        panelMode = true;
        columns = g.N * g.P * g.Q;
        var kernelTaps = g.R * g.S;
        offsets = (int*)scratch.Shared(1, kernelTaps * Lanes);
        fields = (float*)(((nint)scratch.Shared(0, taps * Lanes + Lanes) + 63) & ~(nint)63);
        scratch.Reserve(PanelRows * PanelChunk + Lanes);

        // offsets[(r * S + s) * 16 + j]: where column j = (n, p, q) finds its input of kernel tap (r, s) in channel
        // 0 of x, or -1 where that tap hangs over the padding (and for the lanes past the last column).
        int pq = g.P * g.Q, image = g.C * g.H * g.W;
        for (var tap = 0; tap < kernelTaps; tap++)
        {
            int r = tap / g.S, s = tap % g.S;
            for (var j = 0; j < Lanes; j++)
            {
                var offset = -1;
                if (j < columns)
                {
                    int n = j / pq, p = j % pq / g.Q, q = j % g.Q;
                    int ih = p * g.StrideH - g.PadTop + r * g.DilationH;
                    int iw = q * g.StrideW - g.PadLeft + s * g.DilationW;
                    if ((uint)ih < (uint)g.H && (uint)iw < (uint)g.W)
                    {
                        offset = n * image + ih * g.W + iw;
                    }
                }

                offsets[tap * Lanes + j] = offset;
            }
        }

        gathering = true;
        var items = Math.Min(g.C, workers.Count * 4);
        channelsPerItem = (g.C + items - 1) / items;
        RunItems((g.C + channelsPerItem - 1) / channelsPerItem);

        rowTiles = (g.K + PanelRows - 1) / PanelRows;
        items = Math.Min(rowTiles, workers.Count * 4);
        tilesPerItem = (rowTiles + items - 1) / items;
        gathering = false;
        RunItems((rowTiles + tilesPerItem - 1) / tilesPerItem);
    }

    // The panel's rows of taps (c, r, s) for the item's channels: 16 lanes, one per column.
    private void GatherPanel(int index)
    {
        int plane = g.H * g.W, length = g.R * g.S * Lanes;
        var table = offsets;
        var end = Math.Min(g.C, (index + 1) * channelsPerItem);
        for (var c = index * channelsPerItem; c < end; c++)
        {
            var source = x + (long)c * plane;
            var row = fields + (long)c * length;
            // Two gathers of 8 lanes a row, the lanes in the padding masked off (AVX2 has them; AVX-512's are not
            // exposed): 3-7% of a 4x4 layer's time against one lane at a time.
            for (var i = 0; i < length; i += 8)
            {
                var offset = Avx.LoadVector256(table + i);
                var valid = Avx2.CompareGreaterThan(offset, Vector256<int>.AllBitsSet).AsSingle();
                Avx2.GatherMaskVector256(Vector256<float>.Zero, source, offset, valid, sizeof(float)).Store(row + i);
            }
        }
    }

    // The item's tiles of 16 output channels, a chunk of taps at a time; rows past K repeat the last row and are
    // not stored.
    private void RunPanel(int index, int worker)
    {
        var buffer = (float*)(((nint)scratch.ForWorker(worker, PanelRows * PanelChunk + Lanes) + 63) & ~(nint)63);
        var sums = stackalloc float[PanelRows * Lanes];
        var end = Math.Min(rowTiles, (index + 1) * tilesPerItem);
        for (var tile = index * tilesPerItem; tile < end; tile++)
        {
            var k0 = tile * PanelRows;
            new Span<float>(sums, PanelRows * Lanes).Clear();
            for (var start = 0; start < taps; start += PanelChunk)
            {
                var count = Math.Min(PanelChunk, taps - start);
                CopyChunk(k0, start, count, buffer);
                var next = start + PanelChunk < taps ? w + (long)k0 * taps + start + PanelChunk
                    : w + (long)(k0 + PanelRows) * taps;
                PanelChunkSums(fields + (long)start * Lanes, buffer, count, sums, next, taps);
            }

            StorePanel(k0, sums);
        }
    }

    // sums[r * 16 + j] += buffer[r * PanelChunk + u] * panel[u * 16 + j] over u < count. A method of its own: the
    // JIT keeps sums that live across a call (the copy) on the stack, and the loop then reloads all 16 every step.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelChunkSums(float* panel, float* buffer, int count, float* sums, float* next, nint ldw)
    {
        nint u = 0;
        var s0 = Vector512.Load(sums);
        var s1 = Vector512.Load(sums + 1 * Lanes);
        var s2 = Vector512.Load(sums + 2 * Lanes);
        var s3 = Vector512.Load(sums + 3 * Lanes);
        var s4 = Vector512.Load(sums + 4 * Lanes);
        var s5 = Vector512.Load(sums + 5 * Lanes);
        var s6 = Vector512.Load(sums + 6 * Lanes);
        var s7 = Vector512.Load(sums + 7 * Lanes);
        var s8 = Vector512.Load(sums + 8 * Lanes);
        var s9 = Vector512.Load(sums + 9 * Lanes);
        var s10 = Vector512.Load(sums + 10 * Lanes);
        var s11 = Vector512.Load(sums + 11 * Lanes);
        var s12 = Vector512.Load(sums + 12 * Lanes);
        var s13 = Vector512.Load(sums + 13 * Lanes);
        var s14 = Vector512.Load(sums + 14 * Lanes);
        var s15 = Vector512.Load(sums + 15 * Lanes);
        var b = buffer;
        for (var end = panel + (long)count * Lanes; panel < end; panel += Lanes, b++, u++)
        {
            // The line of the next chunk's weights that this step's turn comes to, into L2: one prefetch per step
            // spreads the next 16 KiB over the chunk's 256 steps, far enough ahead to hide a read from memory.
            Sse.Prefetch1(next + (u >> 4) * ldw + ((u & 15) << 4));

            var v = Vector512.Load(panel);
            s0 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[0]), v, s0);
            s1 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[PanelChunk]), v, s1);
            s2 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[2 * PanelChunk]), v, s2);
            s3 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[3 * PanelChunk]), v, s3);
            s4 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[4 * PanelChunk]), v, s4);
            s5 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[5 * PanelChunk]), v, s5);
            s6 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[6 * PanelChunk]), v, s6);
            s7 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[7 * PanelChunk]), v, s7);
            s8 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[8 * PanelChunk]), v, s8);
            s9 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[9 * PanelChunk]), v, s9);
            s10 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[10 * PanelChunk]), v, s10);
            s11 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[11 * PanelChunk]), v, s11);
            s12 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[12 * PanelChunk]), v, s12);
            s13 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[13 * PanelChunk]), v, s13);
            s14 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[14 * PanelChunk]), v, s14);
            s15 = Avx512F.FusedMultiplyAdd(Vector512.Create(b[15 * PanelChunk]), v, s15);
        }

        s0.Store(sums);
        s1.Store(sums + 1 * Lanes);
        s2.Store(sums + 2 * Lanes);
        s3.Store(sums + 3 * Lanes);
        s4.Store(sums + 4 * Lanes);
        s5.Store(sums + 5 * Lanes);
        s6.Store(sums + 6 * Lanes);
        s7.Store(sums + 7 * Lanes);
        s8.Store(sums + 8 * Lanes);
        s9.Store(sums + 9 * Lanes);
        s10.Store(sums + 10 * Lanes);
        s11.Store(sums + 11 * Lanes);
        s12.Store(sums + 12 * Lanes);
        s13.Store(sums + 13 * Lanes);
        s14.Store(sums + 14 * Lanes);
        s15.Store(sums + 15 * Lanes);
    }

    // buffer[r * PanelChunk + i] = w[k0 + r, start + i] for i < count; rows past K repeat the last one.
    private void CopyChunk(int k0, int start, int count, float* buffer)
    {
        for (var r = 0; r < PanelRows; r++)
        {
            var source = w + (long)Math.Min(k0 + r, g.K - 1) * taps + start;
            var target = buffer + r * PanelChunk;
            var i = 0;
            for (; i + Lanes <= count; i += Lanes)
            {
                Vector512.Load(source + i).Store(target + i);
            }

            for (; i < count; i++)
            {
                target[i] = source[i];
            }
        }
    }

    // sums[r * 16 + j] -> y[n, k0 + r, p, q] of column j = (n, p, q): a panel tile's rows are MaxColumns apart, as
    // the dot-product tile's are.
    private void StorePanel(int k0, float* sums) => Store(k0, Math.Min(PanelRows, g.K - k0), sums);

    private void Edge(int rows, float* weights, int start, int count, float* partial)
    {
        for (var c0 = 0; c0 < columns && count > 0; c0 += TileCols)
        {
            var cols = Math.Min(TileCols, columns - c0);
            Dispatch<R1>(rows, cols, weights, fields + (long)c0 * stride, start, count, partial + c0 * Lanes);
        }
    }

    // sums[r * MaxColumns + j] = the lanes of partial sum (r, j) added.
    private void Reduce(int rows, float* partial, float* sums)
    {
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < columns; j++)
            {
                sums[r * MaxColumns + j] = Vector512.Sum(Vector512.Load(partial + (r * MaxColumns + j) * Lanes));
            }
        }
    }

    // Column j = (n, p, q) gets its receptive field, in the weights' (c, r, s) order, zero where it hangs over the
    // padding and in the row's tail up to whole vectors.
    private void Gather(int column)
    {
        // Locals, not fields: the stores through row would otherwise make the JIT reload every size per element.
        int height = g.H, width = g.W, channels = g.C, kernelH = g.R, kernelW = g.S;
        int dilationH = g.DilationH, dilationW = g.DilationW, q = g.Q, pq = g.P * q;
        int n = column / pq, p = column % pq / q, top = p * g.StrideH - g.PadTop;
        int left = column % q * g.StrideW - g.PadLeft;
        var row = fields + (long)column * stride;
        var plane = x + (long)n * channels * height * width;
        var i = 0;
        for (var c = 0; c < channels; c++, plane += height * width)
        {
            for (var r = 0; r < kernelH; r++)
            {
                var ih = top + r * dilationH;
                if ((uint)ih >= (uint)height)
                {
                    for (var s = 0; s < kernelW; s++)
                    {
                        row[i++] = 0f;
                    }

                    continue;
                }

                var line = plane + (long)ih * width;
                for (int s = 0, iw = left; s < kernelW; s++, iw += dilationW)
                {
                    row[i++] = (uint)iw < (uint)width ? line[iw] : 0f;
                }
            }
        }

        for (; i < stride; i++)
        {
            row[i] = 0f;
        }
    }

    // sums[r * MaxColumns + j] -> y[n, k0 + r, p, q] of column j = (n, p, q), through the epilogue.
    private void Store(int k0, int rows, float* sums)
    {
        var pq = g.P * g.Q;
        for (var j = 0; j < columns; j++)
        {
            int n = j / pq, pixel = j % pq;
            var output = y + (long)n * g.K * pq + pixel;
            for (var r = 0; r < rows; r++)
            {
                var k = k0 + r;
                output[(long)k * pq] = epilogue.Apply(sums[r * MaxColumns + j], k);
            }
        }
    }

    private void Dispatch<TMasked>(int rows, int cols, float* weights, float* field, nint start, nint stop, float* sums)
        where TMasked : struct, IConstant
    {
        switch (rows * 8 + cols)
        {
            case 6 * 8 + 4: Tile<R6, R4, TMasked>(weights, field, start, stop, sums); break;
            case 6 * 8 + 3: Tile<R6, R3, TMasked>(weights, field, start, stop, sums); break;
            case 6 * 8 + 2: Tile<R6, R2, TMasked>(weights, field, start, stop, sums); break;
            case 6 * 8 + 1: Tile<R6, R1, TMasked>(weights, field, start, stop, sums); break;
            case 5 * 8 + 4: Tile<R5, R4, TMasked>(weights, field, start, stop, sums); break;
            case 5 * 8 + 3: Tile<R5, R3, TMasked>(weights, field, start, stop, sums); break;
            case 5 * 8 + 2: Tile<R5, R2, TMasked>(weights, field, start, stop, sums); break;
            case 5 * 8 + 1: Tile<R5, R1, TMasked>(weights, field, start, stop, sums); break;
            case 4 * 8 + 4: Tile<R4, R4, TMasked>(weights, field, start, stop, sums); break;
            case 4 * 8 + 3: Tile<R4, R3, TMasked>(weights, field, start, stop, sums); break;
            case 4 * 8 + 2: Tile<R4, R2, TMasked>(weights, field, start, stop, sums); break;
            case 4 * 8 + 1: Tile<R4, R1, TMasked>(weights, field, start, stop, sums); break;
            case 3 * 8 + 4: Tile<R3, R4, TMasked>(weights, field, start, stop, sums); break;
            case 3 * 8 + 3: Tile<R3, R3, TMasked>(weights, field, start, stop, sums); break;
            case 3 * 8 + 2: Tile<R3, R2, TMasked>(weights, field, start, stop, sums); break;
            case 3 * 8 + 1: Tile<R3, R1, TMasked>(weights, field, start, stop, sums); break;
            case 2 * 8 + 4: Tile<R2, R4, TMasked>(weights, field, start, stop, sums); break;
            case 2 * 8 + 3: Tile<R2, R3, TMasked>(weights, field, start, stop, sums); break;
            case 2 * 8 + 2: Tile<R2, R2, TMasked>(weights, field, start, stop, sums); break;
            case 2 * 8 + 1: Tile<R2, R1, TMasked>(weights, field, start, stop, sums); break;
            case 1 * 8 + 4: Tile<R1, R4, TMasked>(weights, field, start, stop, sums); break;
            case 1 * 8 + 3: Tile<R1, R3, TMasked>(weights, field, start, stop, sums); break;
            case 1 * 8 + 2: Tile<R1, R2, TMasked>(weights, field, start, stop, sums); break;
            default: Tile<R1, R1, TMasked>(weights, field, start, stop, sums); break;
        }
    }

    // Partial sums (r, j), 16 lanes each at sums + (r * MaxColumns + j) * 16, += weights row r times field row j
    // over taps [start, stop), for TRows x TCols of them. TMasked = 1: one vector at start whose first stop lanes
    // count (a mask live across a longer loop would take the 32nd register and spill an accumulator).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Tile<TRows, TCols, TMasked>(float* weights, float* field, nint start, nint stop, float* sums)
        where TRows : struct, IConstant
        where TCols : struct, IConstant
        where TMasked : struct, IConstant
    {
        int rows = TRows.Value, cols = TCols.Value;
        var masked = TMasked.Value != 0;
        var mask = masked ? Vector512.LessThan(Vector512<int>.Indices, Vector512.Create((int)stop)).AsSingle()
            : default;
        if (masked)
        {
            stop = start + Lanes;
        }

        nint ldw = taps, ldf = stride;
        const int RowStep = MaxColumns * Lanes;
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
        Vector512<float> s40 = default, s41 = default, s42 = default, s43 = default;
        Vector512<float> s50 = default, s51 = default, s52 = default, s53 = default;
        Load(sums, ref s00, ref s01, ref s02, ref s03, cols);
        if (rows > 1) Load(sums + RowStep, ref s10, ref s11, ref s12, ref s13, cols);
        if (rows > 2) Load(sums + 2 * RowStep, ref s20, ref s21, ref s22, ref s23, cols);
        if (rows > 3) Load(sums + 3 * RowStep, ref s30, ref s31, ref s32, ref s33, cols);
        if (rows > 4) Load(sums + 4 * RowStep, ref s40, ref s41, ref s42, ref s43, cols);
        if (rows > 5) Load(sums + 5 * RowStep, ref s50, ref s51, ref s52, ref s53, cols);
        Vector512<float> w0 = default, w1 = default, w2 = default, w3 = default, w4 = default, w5 = default;
        nint ahead = TilePrefetch;
        for (nint i = start; i < stop; i += Lanes)
        {
            if (!masked && ahead > 0)
            {
                Sse.Prefetch0(weights + i + ahead);
                if (rows > 1) Sse.Prefetch0(weights + ldw + i + ahead);
                if (rows > 2) Sse.Prefetch0(weights + 2 * ldw + i + ahead);
                if (rows > 3) Sse.Prefetch0(weights + 3 * ldw + i + ahead);
                if (rows > 4) Sse.Prefetch0(weights + 4 * ldw + i + ahead);
                if (rows > 5) Sse.Prefetch0(weights + 5 * ldw + i + ahead);
            }

            w0 = Read(weights + i, masked, mask);
            if (rows > 1) w1 = Read(weights + ldw + i, masked, mask);
            if (rows > 2) w2 = Read(weights + 2 * ldw + i, masked, mask);
            if (rows > 3) w3 = Read(weights + 3 * ldw + i, masked, mask);
            if (rows > 4) w4 = Read(weights + 4 * ldw + i, masked, mask);
            if (rows > 5) w5 = Read(weights + 5 * ldw + i, masked, mask);
            var f = Read(field + i, masked, mask);
            s00 = Avx512F.FusedMultiplyAdd(w0, f, s00);
            if (rows > 1) s10 = Avx512F.FusedMultiplyAdd(w1, f, s10);
            if (rows > 2) s20 = Avx512F.FusedMultiplyAdd(w2, f, s20);
            if (rows > 3) s30 = Avx512F.FusedMultiplyAdd(w3, f, s30);
            if (rows > 4) s40 = Avx512F.FusedMultiplyAdd(w4, f, s40);
            if (rows > 5) s50 = Avx512F.FusedMultiplyAdd(w5, f, s50);
            if (cols > 1)
            {
                f = Read(field + ldf + i, masked, mask);
                s01 = Avx512F.FusedMultiplyAdd(w0, f, s01);
                if (rows > 1) s11 = Avx512F.FusedMultiplyAdd(w1, f, s11);
                if (rows > 2) s21 = Avx512F.FusedMultiplyAdd(w2, f, s21);
                if (rows > 3) s31 = Avx512F.FusedMultiplyAdd(w3, f, s31);
                if (rows > 4) s41 = Avx512F.FusedMultiplyAdd(w4, f, s41);
                if (rows > 5) s51 = Avx512F.FusedMultiplyAdd(w5, f, s51);
            }

            if (cols > 2)
            {
                f = Read(field + 2 * ldf + i, masked, mask);
                s02 = Avx512F.FusedMultiplyAdd(w0, f, s02);
                if (rows > 1) s12 = Avx512F.FusedMultiplyAdd(w1, f, s12);
                if (rows > 2) s22 = Avx512F.FusedMultiplyAdd(w2, f, s22);
                if (rows > 3) s32 = Avx512F.FusedMultiplyAdd(w3, f, s32);
                if (rows > 4) s42 = Avx512F.FusedMultiplyAdd(w4, f, s42);
                if (rows > 5) s52 = Avx512F.FusedMultiplyAdd(w5, f, s52);
            }

            if (cols > 3)
            {
                f = Read(field + 3 * ldf + i, masked, mask);
                s03 = Avx512F.FusedMultiplyAdd(w0, f, s03);
                if (rows > 1) s13 = Avx512F.FusedMultiplyAdd(w1, f, s13);
                if (rows > 2) s23 = Avx512F.FusedMultiplyAdd(w2, f, s23);
                if (rows > 3) s33 = Avx512F.FusedMultiplyAdd(w3, f, s33);
                if (rows > 4) s43 = Avx512F.FusedMultiplyAdd(w4, f, s43);
                if (rows > 5) s53 = Avx512F.FusedMultiplyAdd(w5, f, s53);
            }
        }

        Save(sums, s00, s01, s02, s03, cols);
        if (rows > 1) Save(sums + RowStep, s10, s11, s12, s13, cols);
        if (rows > 2) Save(sums + 2 * RowStep, s20, s21, s22, s23, cols);
        if (rows > 3) Save(sums + 3 * RowStep, s30, s31, s32, s33, cols);
        if (rows > 4) Save(sums + 4 * RowStep, s40, s41, s42, s43, cols);
        if (rows > 5) Save(sums + 5 * RowStep, s50, s51, s52, s53, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Read(float* p, bool masked, Vector512<float> mask) =>
        masked ? Avx512F.MaskLoad(p, mask, Vector512<float>.Zero) : Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Load(float* sums, ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c,
        ref Vector512<float> d, int cols)
    {
        a = Vector512.Load(sums);
        if (cols > 1) b = Vector512.Load(sums + Lanes);
        if (cols > 2) c = Vector512.Load(sums + 2 * Lanes);
        if (cols > 3) d = Vector512.Load(sums + 3 * Lanes);
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
